"""Rawframe folders (mmaction2 / TSN): list files, 8-bit flow images, clips with flow."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.clip import ClipConfig
from anet.data.frames import (
    FrameFolderDataset,
    FrameRecord,
    decode_flow,
    encode_flow,
    read_frame_list,
    require_cv2,
    write_frame_list,
)
from anet.data.layouts import LayoutError

cv2 = require_cv2()


def test_flow_codec_round_trip() -> None:
    px = np.linspace(-25, 25, 101, dtype=np.float32)
    back = decode_flow(encode_flow(px))
    inside = np.abs(px) <= 20
    assert np.abs(back[inside] - px[inside]).max() <= 20 / 255 + 1e-6  # half a quantisation step
    assert back.min() == -20 and back.max() == 20  # clipped to the bound
    assert encode_flow(np.zeros(1))[0] == 128  # "128 = zero"
    assert abs(decode_flow(np.array([128]))[0]) < 0.1


def test_list_round_trip_and_errors(tmp_path: Path) -> None:
    records = [FrameRecord("a/v1", 10, ("3",)), FrameRecord("v2", 7, ("1", "4"))]
    write_frame_list(tmp_path / "list.txt", records)
    assert read_frame_list(tmp_path / "list.txt") == records
    (tmp_path / "bad.txt").write_text("v1 10 0\nv2 ten 1\n")
    with pytest.raises(LayoutError, match=r"bad.txt:2: expected"):
        read_frame_list(tmp_path / "bad.txt")


def make_frames(
    folder: Path, count: int, *, flow: tuple[float, float] | None = (3.0, -1.0), flows: int | None = None
) -> None:
    """Frames whose grey level is 8 * index + 8 (so a clip says which frames it took), constant flow."""
    folder.mkdir(parents=True)
    for k in range(1, count + 1):
        cv2.imwrite(str(folder / f"img_{k:05d}.jpg"), np.full((24, 32, 3), 8 * k, dtype=np.uint8))
    if flow is None:
        return
    for k in range(1, (flows if flows is not None else count - 1) + 1):
        cv2.imwrite(str(folder / f"flow_x_{k:05d}.jpg"), np.full((24, 32), encode_flow(np.float32(flow[0]))))
        cv2.imwrite(str(folder / f"flow_y_{k:05d}.jpg"), np.full((24, 32), encode_flow(np.float32(flow[1]))))


def frame_indices(rgb: torch.Tensor) -> list[int]:
    return [round(float(v) * 255 / 8) - 1 for v in rgb.mean(dim=(0, 2, 3))]


@pytest.fixture
def frame_root(tmp_path: Path) -> Path:
    make_frames(tmp_path / "walk" / "v1", 20)
    make_frames(tmp_path / "v2", 6)
    (tmp_path / "train_list.txt").write_text("walk/v1 20 2\nv2 6 0\n")
    return tmp_path


def test_clips_with_flow(frame_root: Path) -> None:
    data = FrameFolderDataset(frame_root / "train_list.txt", clip=ClipConfig(frames=8, size=16))
    assert data.flow and data.num_classes == 3 and not data.multi_label
    data = pickle.loads(pickle.dumps(data))  # DataLoader workers started with "spawn" get a pickled copy
    item = data[0]
    assert item["rgb"].shape == (3, 8, 16, 16) and item["flow"].shape == (2, 8, 16, 16)
    assert frame_indices(item["rgb"]) == list(range(6, 14))  # the centred 8 of 20 frames
    # 32 x 24 frames: the centre 24 x 24 square scaled to 16: flow scales by 2/3 on both axes.
    assert torch.allclose(item["flow"][0], torch.tensor(2.0), atol=0.1)
    assert torch.allclose(item["flow"][1], torch.tensor(-2 / 3), atol=0.1)
    assert int(item["label"]) == 2 and item["label"].dtype == torch.int64


def test_short_videos_repeat_the_last_frame_and_flow(frame_root: Path) -> None:
    data = FrameFolderDataset(frame_root / "train_list.txt", clip=ClipConfig(frames=8, size=24))
    item = data[1]  # 6 frames, 5 flows
    assert frame_indices(item["rgb"]) == [0, 1, 2, 3, 4, 5, 5, 5]
    assert torch.allclose(item["flow"][0], torch.tensor(3.0), atol=0.1)  # the last frame borrows flow 5


def test_sampling_at_a_target_rate_needs_the_source_rate(frame_root: Path) -> None:
    clip = ClipConfig(frames=5, size=24, fps=12.5)
    with pytest.raises(LayoutError, match="source_fps"):
        FrameFolderDataset(frame_root / "train_list.txt", clip=clip)
    data = FrameFolderDataset(frame_root / "train_list.txt", clip=clip, source_fps=25)
    assert frame_indices(data[0]["rgb"]) == [5, 7, 9, 11, 13]  # every other frame, centred
    (frame_root / "anet_frames.json").write_text(json.dumps({"fps": 50}))
    data = FrameFolderDataset(frame_root / "train_list.txt", clip=clip)
    assert data.source_fps == 50 and frame_indices(data[0]["rgb"]) == [0, 4, 8, 12, 16]


def test_training_flip_negates_flow_x(frame_root: Path) -> None:
    data = FrameFolderDataset(frame_root / "train_list.txt", clip=ClipConfig(frames=4, size=16, train=True))
    signs = set()
    for seed in range(16):
        torch.manual_seed(seed)
        signs.add(float(data[0]["flow"][0].mean().sign()))
    assert signs == {-1.0, 1.0}


def test_without_flow_and_multi_label(tmp_path: Path) -> None:
    make_frames(tmp_path / "a", 4, flow=None)
    (tmp_path / "list.txt").write_text("a 4 1 3\n")
    data = FrameFolderDataset(tmp_path / "list.txt", clip=ClipConfig(frames=2, size=8))
    item = data[0]
    assert not data.flow and "flow" not in item
    assert data.multi_label and item["label"].tolist() == [0, 1, 0, 1]


def test_wrong_root_is_reported(frame_root: Path, tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match=r"img_00001\.jpg"):
        FrameFolderDataset(frame_root / "train_list.txt", root=tmp_path / "elsewhere")
