"""Flow extraction round trip: video -> rawframe folders -> FrameFolderDataset flow in pixels.

Every method, the bound picked from the data or clipping that is measured, one video file as input,
videos of mixed frame rates, and the command line (progress, what it reports it wrote).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from anet.cli.main import anet
from anet.data.clip import ClipConfig
from anet.data.encode import write_video
from anet.data.flow_extract import METHODS, extract_flow
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


@pytest.mark.parametrize("method", METHODS)
def test_synthetic_translation_round_trip(tmp_path: Path, method: str) -> None:
    write_video(tmp_path / "videos" / "shift.mp4", translated_frames(), fps=25)
    result = extract_flow(tmp_path / "videos", tmp_path / "frames", method=method)  # type: ignore[arg-type]
    lists = result.lists
    assert lists == [tmp_path / "frames" / "list.txt"]
    assert read_frame_list(lists[0])[0].directory == "shift" and read_frame_list(lists[0])[0].num_frames == 6
    assert result.frames == 6 and len(result.videos) == 1
    folder = tmp_path / "frames" / "shift"
    assert len(list(folder.glob("img_*.jpg"))) == 6 and len(list(folder.glob("flow_x_*.jpg"))) == 5
    info = json.loads((tmp_path / "frames" / "anet_frames.json").read_text())
    assert info["fps"] == 25 and info["method"] == method
    # The bound follows the data: the largest motion rounded up, nothing clipped.
    video = result.videos[0]
    assert video.clipped == 0 and result.clipped_fraction == 0
    assert video.bound == info["bound"] == info["videos"]["shift"]["bound"]
    assert 2 <= video.largest_motion <= video.bound < video.largest_motion + 1  # the seam may move more

    item = FrameFolderDataset(lists[0], clip=ClipConfig(frames=6, size=64))[0]
    flow = item["flow"][:, :, 8:-8, 8:-8]  # away from the wrap-around seam
    assert float(flow[0].median()) == pytest.approx(STEP[0], abs=0.3)  # +x is rightwards
    assert float(flow[1].median()) == pytest.approx(STEP[1], abs=0.3)  # +y is downwards
    half = FrameFolderDataset(lists[0], clip=ClipConfig(frames=6, size=32))[0]["flow"][:, :, 4:-4, 4:-4]
    assert float(half[0].median()) == pytest.approx(STEP[0] / 2, abs=0.2)  # pixels of the resized clip


def test_fixed_bound_reports_what_it_clipped(tmp_path: Path) -> None:
    video = tmp_path / "shift.mp4"
    write_video(video, translated_frames(), fps=25)
    result = extract_flow(video, tmp_path / "frames", bound=1.0)  # a single video file, not a folder
    assert [r.directory for r in read_frame_list(result.lists[0])] == ["shift"]
    (clipped,) = result.videos
    assert clipped.bound == 1.0 and clipped.largest_motion > 1.5
    # x moves 2 px everywhere, so about half of all values (the x ones) are beyond 1 px.
    assert 0.3 < result.clipped_fraction < 0.8
    info = json.loads((tmp_path / "frames" / "anet_frames.json").read_text())
    assert info["videos"]["shift"]["clipped_fraction"] == pytest.approx(result.clipped_fraction)
    flow = FrameFolderDataset(result.lists[0], clip=ClipConfig(frames=6, size=64))[0]["flow"]
    assert flow.abs().max() <= 1.0  # decoded with the bound it was written with


def test_command_line_reports_counts_motion_and_clipping(tmp_path: Path) -> None:
    write_video(tmp_path / "videos" / "a" / "one.mp4", translated_frames(), fps=25)
    write_video(tmp_path / "videos" / "b" / "two.mp4", translated_frames(count=4), fps=25)
    result = CliRunner().invoke(
        anet,
        ["flow", "extract", str(tmp_path / "videos"), "-o", str(tmp_path / "out"), "--bound", "1", "--method", "dis"],
    )
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "wrote 2 videos (10 frames)" in result.output
    assert "clipped at +-1 px" in result.output  # the per-video warning
    assert "largest motion 2." in result.output
    bad = CliRunner().invoke(
        anet, ["flow", "extract", str(tmp_path / "videos"), "-o", str(tmp_path / "x"), "--bound", "-3"]
    )
    assert isinstance(bad.exception, SystemExit) and bad.exit_code == 2 and "--bound" in bad.output


@pytest.mark.slow  # extracts flow from real videos
def test_real_video_with_classes_splits_and_resampling(
    tmp_path: Path, copy_segment: Callable[[str, Path], Path]
) -> None:
    videos = tmp_path / "videos"
    copy_segment("phone.mp4", videos / "train" / "talk" / "p.mp4")
    copy_segment("bikes.avi", videos / "train" / "ride" / "b.avi")
    copy_segment("bikes.webm", videos / "val" / "ride" / "w.webm")
    lists = extract_flow(videos, tmp_path / "frames", fps=5, size=48, workers=2).lists
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
        assert item["flow"].abs().mean() > 0.05  # real motion
    assert torch.equal(data[0]["label"], torch.tensor(0))
    image = cv2.imread(str(tmp_path / "frames" / "train" / "ride" / "b" / "img_00001.jpg"))
    assert min(image.shape[:2]) == 48


def test_mixed_frame_rates_are_recorded_per_video(tmp_path: Path, copy_segment: Callable[[str, Path], Path]) -> None:
    copy_segment("bikes.mp4", tmp_path / "videos" / "bikes.mp4")  # 25 fps, 30 frames
    copy_segment("phone.mp4", tmp_path / "videos" / "phone.mp4")  # 29.97 fps, 30 frames
    result = extract_flow(tmp_path / "videos", tmp_path / "frames", size=32, method="dis")
    info = json.loads((tmp_path / "frames" / "anet_frames.json").read_text())
    assert info["fps"] is None  # no common rate ...
    assert info["videos"]["bikes"]["fps"] == 25 and info["videos"]["phone"]["fps"] == pytest.approx(29.97, abs=0.01)
    assert result.frames == 60
    # ... and sampling at a target rate uses each video's own: 1 s at 5 fps spans 25 and 30 frames.
    data = FrameFolderDataset(result.lists[0], clip=ClipConfig(frames=5, size=32, fps=5))
    bikes, phone = (data.records[i] for i in range(2))
    assert data.indices(bikes.num_frames, data.video_fps[bikes.directory])[-1] < 25
    assert data.indices(phone.num_frames, data.video_fps[phone.directory])[-1] >= 24
    assert data[1]["rgb"].shape == (3, 5, 32, 32)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="does not exist"):
        extract_flow(tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(LayoutError, match="no videos"):
        extract_flow(tmp_path / "empty", tmp_path / "out")
