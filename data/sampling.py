"""Clip sampling: which instants of a video a clip shows.

A clip is `frames` instants spaced `1 / fps` seconds apart, starting at `start`. Sampling by time rather
than by frame index is what makes "12.5 fps" (Moments in Time) or "6 fps" (Charades), as in the paper's
appendix A.6, mean the same thing for a 25 fps and a 30 fps source. Each instant shows the source frame
nearest to it (an instant exactly halfway between two frames may get either), so a target rate equal
to the source rate gives consecutive frames.

This module decides times only; `decode.py` turns times into pixels and `frames.py` into image files.
Random draws use torch's global generator because DataLoader seeds it differently in every worker
(numpy's global generator would repeat the same "random" clips in every worker).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

SampleMode = Literal["random", "center"]


@dataclass(frozen=True, kw_only=True)
class ClipSampler:
    """Chooses the instants of one clip.

    Args:
        frames: number of instants in the clip.
        fps: target frame rate; None keeps the source's own rate.
        mode: "random" draws the start uniformly so the clip fits in the video (training);
            "center" centres the clip in the video (evaluation). A video shorter than the clip starts
            at 0 and its last frame repeats (see `decode.VideoReader.read`).
    """

    frames: int
    fps: float | None = None
    mode: SampleMode = "center"

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"a clip needs at least 1 frame, got frames={self.frames}")
        if self.fps is not None and not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.mode not in ("random", "center"):
            raise ValueError(f"mode must be 'random' or 'center', got {self.mode!r}")

    def rate(self, source_fps: float) -> float:
        """The rate the clip is sampled at: the target rate, or the source's when none is set."""
        return float(self.fps) if self.fps is not None else float(source_fps)

    def span(self, source_fps: float) -> float:
        """Seconds of video one clip covers (frames x frame period)."""
        return self.frames / self.rate(source_fps)

    def start(self, duration: float, *, source_fps: float, generator: torch.Generator | None = None) -> float:
        """Start time in seconds for a video of `duration` seconds."""
        slack = max(0.0, duration - self.span(source_fps))
        if self.mode == "center":
            return slack / 2
        return float(torch.rand((), generator=generator, dtype=torch.float64)) * slack

    def times(
        self,
        duration: float,
        *,
        source_fps: float,
        start: float | None = None,
        generator: torch.Generator | None = None,
    ) -> np.ndarray:
        """Instants (seconds from the video's start) of one clip, float64 [frames]."""
        if start is None:
            start = self.start(duration, source_fps=source_fps, generator=generator)
        return start + np.arange(self.frames, dtype=np.float64) / self.rate(source_fps)


def nearest_frame_indices(times: np.ndarray, *, source_fps: float, num_frames: int) -> np.ndarray:
    """Index of the frame shown at each instant of a constant-rate sequence of `num_frames` frames.

    Frame k is shown for instants in [k - 0.5, k + 0.5) frame periods; instants past the end show the
    last frame, which is the padding rule for short videos.
    """
    if num_frames < 1:
        raise ValueError(f"a video needs at least 1 frame, got {num_frames}")
    index = np.floor(np.asarray(times, dtype=np.float64) * source_fps + 0.5 + 1e-9).astype(np.int64)
    return np.clip(index, 0, num_frames - 1)


def frame_count(duration: float, fps: float) -> int:
    """How many frames at `fps` fit in `duration` seconds (at least one)."""
    return max(1, math.floor(duration * fps + 1e-6))
