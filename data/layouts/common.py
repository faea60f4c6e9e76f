"""Datasets over the video layouts users already have: class folders, a CSV, Charades annotations.

Every layout reduces to a list of `VideoRecord`s (a file and its labels) and shares `VideoDataset`,
which decodes one clip per item (`clip.load_video_clip`). Items are dicts:
`{"rgb": float [3, T, H, W] in [0, 1], "label": ..., "video": str}`, where "label" is an int64 scalar
for single-label data and a float multi-hot [K] for multi-label data.

Splits: a layout either has its own ("train"/"val" folders, a "split" column) or it has none; then
`holdout` carves a validation split out of it by a stable hash of each video's name, so train and val
never share a video and the division does not change between runs or machines.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ...errors import UserError
from ..clip import ClipConfig, Transform, load_video_clip
from ..decode import VIDEO_SUFFIXES
from ..segmentation import SUFFIX, missing_maps
from ..text import read_annotation_text

# Folder names / CSV values accepted for each split, first one canonical.
SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "val": ("val", "validation", "valid"),
    "test": ("test", "testing"),
}
_INTEGER = re.compile(r"\d+")


class LayoutError(UserError, ValueError):
    """A dataset layout on disk does not look as expected; the message says what was found."""


def canonical_split(name: str) -> str:
    """'validation' -> 'val' and so on; unknown names are returned lower-cased."""
    lowered = name.strip().lower()
    for canonical, aliases in SPLIT_ALIASES.items():
        if lowered in aliases:
            return canonical
    return lowered


def in_holdout(name: str, fraction: float) -> bool:
    """Whether a video belongs to the held-out validation part; stable across runs and machines."""
    return zlib.crc32(name.encode("utf-8")) / 2**32 < fraction


def select_split(
    items: Sequence[Any], names: Sequence[str], *, split: str | None, holdout: float, where: str
) -> list[Any]:
    """The part of a split-less layout that is `split` ('train' or 'val') under a hash holdout."""
    if split is None:
        return list(items)
    if not 0 < holdout < 1:
        raise LayoutError(f"{where} has no splits; pass holdout=FRACTION (e.g. 0.1) to split it, or split=None")
    want_val = canonical_split(split) == "val"
    if canonical_split(split) not in ("train", "val"):
        raise LayoutError(f"a holdout split is 'train' or 'val', got {split!r}")
    part = [item for item, name in zip(items, names, strict=True) if in_holdout(name, holdout) == want_val]
    if not part:
        raise LayoutError(
            f"the {split!r} part of {where} is empty: holdout={holdout} of {len(items)} videos; change holdout"
        )
    return part


@dataclass(frozen=True)
class LabelSpace:
    """How label tokens (class names, or class indices written as integers) map to class indices.

    `names` is None when the tokens are indices themselves.
    """

    names: tuple[str, ...] | None
    num_classes: int
    multi_label: bool

    @classmethod
    def from_tokens(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        names: Sequence[str] | None = None,
        multi_label: bool | None = None,
        num_classes: int | None = None,
    ) -> LabelSpace:
        """The label space of a whole annotation file (all splits, so every split uses the same indices).

        Without `names`, integer tokens are indices (K = largest + 1 unless `num_classes` says more)
        and other tokens are names, numbered in sorted order. A video with no label or several labels
        makes the data multi-label unless `multi_label` says otherwise.
        """
        token_lists = [tuple(tokens) for tokens in token_lists]
        tokens = {token for tokens in token_lists for token in tokens}
        many = any(len(tokens) != 1 for tokens in token_lists)
        if multi_label is None:
            multi_label = many
        elif not multi_label and many:
            raise LayoutError("single-label data needs exactly one label per video; some have none or several")
        if names is not None:
            unknown = sorted(tokens - set(names))
            if unknown:
                raise LayoutError(f"labels not in the class list: {', '.join(unknown[:5])}")
            space = cls(tuple(names), len(names), multi_label)
        elif tokens and all(_INTEGER.fullmatch(token) for token in tokens):
            largest = max(int(token) for token in tokens)
            space = cls(None, max(largest + 1, num_classes or 0), multi_label)
        else:
            space = cls(tuple(sorted(tokens)), len(tokens), multi_label)
        if num_classes is not None and num_classes < space.num_classes:
            raise LayoutError(f"num_classes={num_classes} but the labels need {space.num_classes} classes")
        return space

    def indices(self, tokens: Sequence[str]) -> tuple[int, ...]:
        if self.names is None:
            return tuple(int(token) for token in tokens)
        lookup = {name: index for index, name in enumerate(self.names)}
        return tuple(lookup[token] for token in tokens)


def label_tensor(indices: Sequence[int], *, num_classes: int, multi_label: bool) -> torch.Tensor:
    """int64 scalar for single-label data, float multi-hot [num_classes] for multi-label data."""
    if not multi_label:
        return torch.tensor(indices[0], dtype=torch.int64)
    hot = torch.zeros(num_classes, dtype=torch.float32)
    hot[list(indices)] = 1.0
    return hot


@dataclass(frozen=True)
class VideoRecord:
    """One video file and its labels; `segments` are (class, start s, end s) where they are known."""

    video: Path
    labels: tuple[int, ...]
    segments: tuple[tuple[int, float, float], ...] = ()


class VideoDataset(Dataset[dict[str, Any]]):
    """A list of video files with labels; each item is one clip of one video.

    Args:
        records: the videos.
        num_classes: size of the label space.
        multi_label: multi-hot float labels when True, int64 scalar labels when False.
        clip: frames, size, fps and train/eval behaviour of the clips; with `objects`, every video
            must have its segmentation maps beside it.
        transform: replaces the transform `clip` implies (it gets {"rgb": uint8 [3, T, H, W]}).
        class_names: names of the classes in index order, where known.
    """

    def __init__(
        self,
        records: Sequence[VideoRecord],
        *,
        num_classes: int,
        multi_label: bool,
        clip: ClipConfig | None = None,
        transform: Transform | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        self.records = list(records)
        self.num_classes = num_classes
        self.multi_label = multi_label
        self.clip = clip or ClipConfig()
        self.transform = transform
        self.class_names = tuple(class_names) if class_names is not None else None
        if self.clip.objects:
            require_maps([r.video for r in self.records], self.clip.objects)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        clip, times = load_video_clip(record.video, self.clip, transform=self.transform)
        return {**clip, "label": self.label(record, times), "video": str(record.video)}

    def label(self, record: VideoRecord, times: np.ndarray) -> torch.Tensor:
        """The item's label; `times` (the clip's instants) matter only for time-localised labels."""
        return label_tensor(record.labels, num_classes=self.num_classes, multi_label=self.multi_label)


def require_maps(videos: Sequence[Path], classes: int) -> None:
    """Every video (file or frame folder) has its segmentation maps, or a `LayoutError` naming the missing."""
    missing = missing_maps(videos)
    if missing:
        shown = ", ".join(str(path) for path in missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise LayoutError(
            f"objects={classes} reads segmentation maps beside each video (<video>{SUFFIX}), but "
            f"{len(missing)} of {len(videos)} videos have none: {shown}"
        )


def resolve_video(root: Path, name: str) -> Path:
    """The file for a video named in an annotation: a path (relative to `root`) or an id without suffix."""
    path = Path(name) if Path(name).is_absolute() else root / name
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return path
    for suffix in VIDEO_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return candidate
    raise LayoutError(f"no video file for {name!r} in {path.parent} (tried {', '.join(VIDEO_SUFFIXES)})")


def read_class_list(path: str | Path) -> list[str]:
    """Class names, one per line, in index order (blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise LayoutError(f"class list {path} does not exist")
    return [line.strip() for line in read_annotation_text(path).splitlines() if line.strip()]


def sibling(path: Path, old: str, new: str) -> Path | None:
    """path with `old` replaced by `new` in its file name, if that file exists."""
    if old not in path.name:
        return None
    candidate = path.with_name(path.name.replace(old, new))
    return candidate if candidate.is_file() else None
