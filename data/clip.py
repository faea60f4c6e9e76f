"""What a dataset item's clip looks like, and the decode -> sample -> transform pipeline for video files.

`ClipConfig` is the one set of options every layout takes (frames, size, fps, train, objects), so a
model's input shape is stated once; `load_video_clip` is the per-item work the video layouts share,
`decoded_clip` the part of it `anet predict` shares too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decode import VideoReader
from .sampling import ClipSampler
from .segmentation import LabelMaps, map_path
from .transforms import Clip, EvalTransform, TrainTransform, frames_to_tensor

Transform = Callable[[Clip], Clip]
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ClipConfig:
    """The clips a dataset yields.

    Args:
        frames: frames per clip.
        size: output height and width in pixels.
        fps: sampling rate; None keeps each video's own rate. The paper uses 12.5 (Moments in Time)
            and 6 (Charades).
        train: random start, random resized crop and flip when True; centred clip, short-side resize
            and centre crop when False.
        flip: probability of a horizontal flip in training (0 where labels depend on direction).
        eval_short_side: short side before the evaluation centre crop; None means `size` (the whole
            short side is kept). 256 for 224 crops is the usual ratio.
        temporal: where clips start: "random" or "center"; None follows `train`. Evaluation with
            several random long crops per video (Charades) uses "random" with `train=False`.
        objects: the class count of the segmentation maps beside each video, which clips then carry
            as "segmentation" (see `segmentation.py`); None: no maps.
    """

    frames: int = 8
    size: int = 112
    fps: float | None = None
    train: bool = False
    flip: float = 0.5
    eval_short_side: int | None = None
    temporal: str | None = None
    objects: int | None = None

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be at least 1 pixel, got {self.size}")
        if self.objects is not None and self.objects < 2:
            raise ValueError(f"segmentation maps need at least 2 classes, got objects={self.objects}")
        self.sampler()  # validates frames and fps

    def sampler(self) -> ClipSampler:
        mode = self.temporal or ("random" if self.train else "center")
        return ClipSampler(frames=self.frames, fps=self.fps, mode=mode)  # type: ignore[arg-type]

    def transform(self) -> TrainTransform | EvalTransform:
        if self.train:
            return TrainTransform(size=self.size, flip=self.flip)
        return EvalTransform(size=self.size, short_side=self.eval_short_side)


def load_video_clip(
    path: str | Path,
    config: ClipConfig,
    *,
    transform: Transform | None = None,
) -> tuple[Clip, np.ndarray]:
    """One clip of a video file (with its segmentation maps when `config.objects` says so) and the
    instants (seconds) it shows.

    A video shorter than the clip is padded with its last frame, with a warning. Randomness comes from
    torch's global generator (`torch.manual_seed` makes it repeatable).
    """
    transform = transform or config.transform()
    sampler = config.sampler()
    maps = LabelMaps.read(map_path(path), classes=config.objects) if config.objects else None
    with VideoReader(path) as reader:
        info = reader.info
        times = sampler.times(info.duration, source_fps=info.fps)
        clip = decoded_clip(reader, times, transform, maps)
    span = sampler.span(info.fps)
    if info.duration + 0.5 / info.fps < span:
        _warn_short(str(path), info.duration, span)
    return transform(clip), times


def decoded_clip(reader: VideoReader, times: np.ndarray, transform: Transform, maps: LabelMaps | None) -> Clip:
    """The frames shown at `times` (and their maps), before `transform`.

    Frames are decoded at the smallest resolution the transform can use (its `source_short_side()`,
    when it has one), which is most of the speed on high-resolution sources; maps are brought to that
    size, so that the transform crops both alike.
    """
    hint = getattr(transform, "source_short_side", None)
    frames = reader.read(times, short_side=hint() if callable(hint) else None)
    clip = {"rgb": frames_to_tensor(frames)}
    if maps is not None:
        clip["segmentation"] = maps.at(times, reader.info, frames.shape[1:3], video=reader.path)
    return clip


@functools.cache  # once per video and clip length in each process, not at every epoch
def _warn_short(path: str, duration: float, span: float) -> None:
    log.warning("%s lasts %.2f s, shorter than a %.2f s clip: its last frame is repeated", path, duration, span)
