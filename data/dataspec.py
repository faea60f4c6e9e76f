"""A parsed data spec: what the consumers of data need to know (classes, labels, flow, segmentation
maps, clip shape) and a factory for its train and validation datasets. `anet.data.spec` parses the text into one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch.utils.data import Dataset

from ..errors import UserError
from .clip import ClipConfig

Factory = Callable[[str, ClipConfig], Dataset[dict[str, Any]]]


class DataSpecError(UserError, ValueError):
    """A data spec that cannot be used; the message says what is wrong and how to write it."""


@dataclass(frozen=True)
class Datasets:
    """Train and validation datasets with the clip shape they were built for."""

    train: Dataset[dict[str, Any]]
    val: Dataset[dict[str, Any]]
    frames: int
    size: int
    fps: float | None


@dataclass(frozen=True)
class DataSpec:
    """A parsed data spec: what consumers need to know, and a factory for its datasets.

    `frames`, `size` and `fps` are the values the spec string fixes (None where it leaves them to the
    consumer); the defaults apply where neither says (8 x 32 px for the proxy, 8 x 112 px for real
    video; 6 fps for Charades, each video's own rate otherwise). `class_names` is None where the data
    names no classes (integer labels). `flip`, `eval_short_side` and `objects` go into every
    `ClipConfig`. `objects` is the class count of the segmentation maps the data provides (an object
    stem's input), None where it provides none.
    """

    text: str
    kind: str
    num_classes: int
    multi_label: bool
    has_flow: bool
    class_names: tuple[str, ...] | None
    frames: int | None
    size: int | None
    fps: float | None
    default_frames: int
    default_size: int
    default_fps: float | None
    flip: float
    eval_short_side: int | None
    _factory: Factory = field(repr=False, compare=False)
    objects: int | None = None

    def clip_config(
        self,
        split: str,
        *,
        frames: int | None = None,
        size: int | None = None,
        fps: float | None = None,
        temporal: str | None = None,
    ) -> ClipConfig:
        """The clip options of `split`: spec values, else the arguments, else the kind's defaults."""
        try:
            return ClipConfig(
                frames=self.frames or frames or self.default_frames,
                size=self.size or size or self.default_size,
                fps=next((f for f in (self.fps, fps, self.default_fps) if f is not None), None),
                train=split == "train",
                flip=self.flip,
                eval_short_side=self.eval_short_side,
                temporal=temporal,
                objects=self.objects,
            )
        except ValueError as error:
            raise DataSpecError(f"data spec {self.text!r}: {error}") from error

    def dataset(
        self,
        split: str,
        *,
        frames: int | None = None,
        size: int | None = None,
        fps: float | None = None,
        temporal: str | None = None,
    ) -> Dataset[dict[str, Any]]:
        """The "train" or "val" dataset; `temporal="random"` gives random clip starts (multi-crop eval)."""
        if split not in ("train", "val"):
            raise DataSpecError(f"split must be 'train' or 'val', got {split!r}")
        config = self.clip_config(split, frames=frames, size=size, fps=fps, temporal=temporal)
        try:
            return self._factory(split, config)
        except ValueError as error:  # LayoutError and option values the data cannot take
            raise DataSpecError(f"data spec {self.text!r}: {error}") from error

    def datasets(self, *, frames: int | None = None, size: int | None = None, fps: float | None = None) -> Datasets:
        """Both splits; arguments are defaults that values in the spec override."""
        config = self.clip_config("train", frames=frames, size=size, fps=fps)
        return Datasets(
            train=self.dataset("train", frames=frames, size=size, fps=fps),
            val=self.dataset("val", frames=frames, size=size, fps=fps),
            frames=config.frames,
            size=config.size,
            fps=config.fps,
        )


def spec_of(
    text: str,
    kind: str,
    clip: dict[str, Any],
    factory: Factory,
    *,
    defaults: tuple[int, int, float | None] = (8, 112, None),
    **fields: Any,
) -> DataSpec:
    """A DataSpec with real video's default clip (8 frames of 112 px at each video's own rate)
    unless `defaults` (frames, size, fps) says otherwise."""
    return DataSpec(
        text=text,
        kind=kind,
        default_frames=defaults[0],
        default_size=defaults[1],
        default_fps=defaults[2],
        _factory=factory,
        **clip,
        **fields,
    )
