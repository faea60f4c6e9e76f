"""TV-L1 extraction round trip: video -> rawframe folders -> FrameFolderDataset flow in pixels."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.clip import ClipConfig
from anet.data.encode import write_video
from anet.data.flow_extract import extract_flow
from anet.data.frames import FrameFolderDataset, read_frame_list, require_cv2
from anet.data.layouts import LayoutError

cv2 = require_cv2()
STEP = (2, 1)  # the synthetic content moves 2 px right and 1 px down per frame


def translated_frames(count: int = 6, size: int = 64) -> np.ndarray:
    """A smooth random texture shifted by STEP every frame (wrapping around)."""
    texture = np.random.default_rng(0).random((size, size)).astype(np.float32)
    texture = cv2.GaussianBlur(texture, (0, 0), 1.5)
    texture = (texture - texture.min()) / (texture.max() - texture.min())
    frames = [np.roll(texture, (STEP[1] * t, STEP[0] * t), axis=(0, 1)) for t in range(count)]
    return (np.stack(frames)[..., None].repeat(3, axis=-1) * 255).astype(np.uint8)


def test_synthetic_translation_round_trip(tmp_path: Path) -> None:
    write_video(tmp_path / "videos" / "shift.mp4", translated_frames(), fps=25)
    lists = extract_flow(tmp_path / "videos", tmp_path / "frames")
    assert lists == [tmp_path / "frames" / "list.txt"]
    assert read_frame_list(lists[0])[0].directory == "shift" and read_frame_list(lists[0])[0].num_frames == 6
    folder = tmp_path / "frames" / "shift"
    assert len(list(folder.glob("img_*.jpg"))) == 6 and len(list(folder.glob("flow_x_*.jpg"))) == 5
    assert json.loads((tmp_path / "frames" / "anet_frames.json").read_text())["fps"] == 25

    item = FrameFolderDataset(lists[0], clip=ClipConfig(frames=6, size=64))[0]
    flow = item["flow"][:, :, 8:-8, 8:-8]  # away from the wrap-around seam
    assert flow.abs().max() <= 20
    assert float(flow[0].median()) == pytest.approx(STEP[0], abs=0.3)  # +x is rightwards
    assert float(flow[1].median()) == pytest.approx(STEP[1], abs=0.3)  # +y is downwards
    half = FrameFolderDataset(lists[0], clip=ClipConfig(frames=6, size=32))[0]["flow"][:, :, 4:-4, 4:-4]
    assert float(half[0].median()) == pytest.approx(STEP[0] / 2, abs=0.2)  # pixels of the resized clip


def test_real_video_with_classes_splits_and_resampling(
    tmp_path: Path, copy_segment: Callable[[str, Path], Path]
) -> None:
    videos = tmp_path / "videos"
    copy_segment("phone.mp4", videos / "train" / "talk" / "p.mp4")
    copy_segment("bikes.avi", videos / "train" / "ride" / "b.avi")
    copy_segment("bikes.webm", videos / "val" / "ride" / "w.webm")
    lists = extract_flow(videos, tmp_path / "frames", fps=5, size=48, workers=2)
    assert [p.name for p in lists] == ["train_list.txt", "val_list.txt"]
    assert (tmp_path / "frames" / "classes.txt").read_text().split() == ["ride", "talk"]
    train = read_frame_list(lists[0])
    assert [(r.directory, r.labels) for r in train] == [("train/ride/b", ("0",)), ("train/talk/p", ("1",))]
    assert [r.num_frames for r in train] == [6, 5]  # 1.2 s and 1.0 s at 5 fps
    data = FrameFolderDataset(lists[0], clip=ClipConfig(frames=4, size=32, fps=5))
    assert data.source_fps == 5 and data.flow
    for i in range(2):
        item = data[i]
        assert item["rgb"].shape == (3, 4, 32, 32) and item["flow"].shape == (2, 4, 32, 32)
        assert item["flow"].abs().max() <= 20 and item["flow"].abs().mean() > 0.05  # real motion
    assert torch.equal(data[0]["label"], torch.tensor(0))
    image = cv2.imread(str(tmp_path / "frames" / "train" / "ride" / "b" / "img_00001.jpg"))
    assert min(image.shape[:2]) == 48


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="does not exist"):
        extract_flow(tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(LayoutError, match="no videos"):
        extract_flow(tmp_path / "empty", tmp_path / "out")
