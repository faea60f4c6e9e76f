"""Clip sampling: instants at the target rate, centred or random starts, nearest-frame indices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from anet.data.sampling import ClipSampler, frame_count, nearest_frame_indices


def test_centre_clip_is_centred_at_the_target_rate() -> None:
    sampler = ClipSampler(frames=8, fps=12.5, mode="center")
    times = sampler.times(3.0, source_fps=30)
    assert np.allclose(np.diff(times), 0.08)
    assert times[0] == pytest.approx((3.0 - 8 / 12.5) / 2)


def test_native_rate_when_fps_is_none() -> None:
    times = ClipSampler(frames=4).times(10.0, source_fps=25, start=1.0)
    assert np.allclose(times, [1.0, 1.04, 1.08, 1.12])


def test_short_video_starts_at_zero() -> None:
    for mode in ("center", "random"):
        assert ClipSampler(frames=32, fps=6, mode=mode).start(2.0, source_fps=30) == 0.0


def test_random_starts_cover_the_slack_and_follow_the_torch_seed() -> None:
    sampler = ClipSampler(frames=4, fps=4, mode="random")  # a 1 s clip in a 5 s video: start in [0, 4]
    torch.manual_seed(1)
    starts = [sampler.start(5.0, source_fps=25) for _ in range(200)]
    assert 0 <= min(starts) < 0.5 and 3.5 < max(starts) <= 4.0
    torch.manual_seed(1)
    assert starts[:5] == [sampler.start(5.0, source_fps=25) for _ in range(5)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"frames": 0}, "at least 1 frame"),
        ({"frames": 4, "fps": 0.0}, "fps must be positive"),
        ({"frames": 4, "mode": "middle"}, "mode must be"),
    ],
)
def test_bad_options(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClipSampler(**options)


def test_nearest_frame_indices() -> None:
    times = np.array([0.0, 0.019, 0.021, 0.49, 100.0])
    assert nearest_frame_indices(times, source_fps=25, num_frames=50).tolist() == [0, 0, 1, 12, 49]


@given(
    frames=st.integers(1, 64),
    fps=st.floats(0.5, 60),
    source_fps=st.floats(5, 60),
    duration=st.floats(0.05, 120),
)
def test_indices_are_in_range_and_never_go_back(frames: int, fps: float, source_fps: float, duration: float) -> None:
    times = ClipSampler(frames=frames, fps=fps).times(duration, source_fps=source_fps)
    count = frame_count(duration, source_fps)
    index = nearest_frame_indices(times, source_fps=source_fps, num_frames=count)
    assert index.shape == (frames,)
    assert index.min() >= 0 and index.max() < count
    assert (np.diff(index) >= 0).all()
    if fps <= source_fps and frames * (1 / fps) <= duration - 2 / source_fps:  # no padding, no repeats
        assert (np.diff(index) > 0).all() or frames == 1
