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

import csv
import io
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from anet.data.clip import ClipConfig, Transform, load_video_clip
from anet.data.decode import VIDEO_SUFFIXES
from anet.data.text import read_annotation_text
from anet.errors import UserError

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
        clip: frames, size, fps and train/eval behaviour of the clips.
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

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        clip, times = load_video_clip(record.video, self.clip, transform=self.transform)
        return {**clip, "label": self.label(record, times), "video": str(record.video)}

    def label(self, record: VideoRecord, times: np.ndarray) -> torch.Tensor:
        """The item's label; `times` (the clip's instants) matter only for time-localised labels."""
        return label_tensor(record.labels, num_classes=self.num_classes, multi_label=self.multi_label)


# --- a folder per class ------------------------------------------------------------------------


def find_videos(folder: Path) -> list[Path]:
    """Video files anywhere under `folder`, sorted."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


def has_videos(folder: Path) -> bool:
    """Whether a video file lies anywhere under `folder` (stops at the first)."""
    return folder.is_dir() and any(p.suffix.lower() in VIDEO_SUFFIXES and p.is_file() for p in folder.rglob("*"))


def split_folder(root: Path, split: str) -> Path | None:
    """root/train, root/val, root/validation, ...: the folder holding `split`, if there is one."""
    for alias in SPLIT_ALIASES.get(canonical_split(split), (split,)):
        if (root / alias).is_dir():
            return root / alias
    return None


def has_split_folders(root: Path) -> bool:
    return split_folder(root, "train") is not None


def folder_classes(root: Path) -> list[str]:
    """Class names of a class-folder layout: the union over its split folders, sorted."""
    parents = [root]
    if has_split_folders(root):
        parents = [f for s in SPLIT_ALIASES if (f := split_folder(root, s)) is not None]
    return sorted({child.name for parent in parents for child in parent.iterdir() if child.is_dir()})


class VideoFolderDataset(VideoDataset):
    """`root/<class>/<video>` (Kinetics, Moments in Time), or `root/<split>/<class>/<video>`.

    Args:
        root: the dataset folder.
        split: "train", "val" (also "validation"), "test"; None (every video) where root has no splits.
        holdout: fraction held out as "val" when root has no split folders.
        classes: class names in index order; default: the sorted class folders of all splits.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        split: str | None = None,
        holdout: float = 0.0,
        classes: Sequence[str] | None = None,
        clip: ClipConfig | None = None,
        transform: Transform | None = None,
    ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise LayoutError(f"video folder {root} does not exist")
        classes = list(classes) if classes is not None else folder_classes(root)
        folder = root
        if split is None and has_split_folders(root):
            raise LayoutError(f"{root} has split folders; pass split='train' or split='val'")
        if split is not None and has_split_folders(root):
            found = split_folder(root, split)
            if found is None:
                raise LayoutError(f"{root} has split folders but none for {split!r}")
            folder, split = found, None
        records = [
            VideoRecord(video, (index,))
            for index, name in enumerate(classes)
            if (folder / name).is_dir()
            for video in find_videos(folder / name)
        ]
        if not records:
            raise LayoutError(f"no videos in {folder} (expected {folder}/<class>/<video>.mp4)")
        names = [str(r.video.relative_to(folder)) for r in records]
        records = select_split(records, names, split=split, holdout=holdout, where=str(root))
        super().__init__(
            records,
            num_classes=len(classes),
            multi_label=False,
            clip=clip,
            transform=transform,
            class_names=classes,
        )


# --- a CSV of videos and labels ----------------------------------------------------------------

VIDEO_COLUMNS = ("video", "path", "video_id", "id", "file", "filename")
LABEL_COLUMNS = ("label", "labels", "class", "classes")


@dataclass(frozen=True)
class CsvRow:
    """One annotation row; `line` is where it ends in its file (for messages)."""

    video: str
    labels: tuple[str, ...]
    split: str | None
    line: int = 0


def _column(header: Sequence[str], candidates: Sequence[str], *, what: str, path: Path) -> str:
    lowered = {name.strip().lower(): name for name in header}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    raise LayoutError(f"{path} has no {what} column (looked for {', '.join(candidates)}; found {', '.join(header)})")


def read_csv_annotations(path: str | Path) -> list[CsvRow]:
    """Rows of a CSV with a video column, a label column (';'-separated labels) and an optional split."""
    path = Path(path)
    if not path.is_file():
        raise LayoutError(f"annotation file {path} does not exist")
    reader = csv.DictReader(io.StringIO(read_annotation_text(path), newline=""))
    header = list(reader.fieldnames or [])
    video = _column(header, VIDEO_COLUMNS, what="video", path=path)
    label = _column(header, LABEL_COLUMNS, what="label", path=path)
    split = next((name for name in header if name.strip().lower() == "split"), None)
    rows = []
    for row in reader:
        if not (row[video] or "").strip():
            raise LayoutError(f"{path}:{reader.line_num}: the {video} column is empty; every row needs a video")
        rows.append(
            CsvRow(
                row[video].strip(),
                tuple(token.strip() for token in (row[label] or "").split(";") if token.strip()),
                canonical_split(row[split]) if split and row[split] else None,
                reader.line_num,
            )
        )
    if not rows:
        raise LayoutError(f"{path} has no rows")
    return rows


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


class VideoCsvDataset(VideoDataset):
    """A CSV with columns video (path or id), label (';'-separated for multi-label) and optionally split.

    Args:
        csv_path: the annotation file; the label space comes from all its rows.
        split: rows whose split column is this (aliases allowed); None for all rows. Without a split
            column, `holdout` decides.
        videos: folder the video column is relative to; default: the CSV's folder.
        classes: class names in index order (labels are then names from this list).
        num_classes: size of the label space for integer labels (default: largest label + 1).
        multi_label: force single- or multi-label; default: multi-label when any row has several.
    """

    def __init__(
        self,
        csv_path: str | Path,
        *,
        split: str | None = None,
        holdout: float = 0.0,
        videos: str | Path | None = None,
        classes: Sequence[str] | None = None,
        num_classes: int | None = None,
        multi_label: bool | None = None,
        clip: ClipConfig | None = None,
        transform: Transform | None = None,
    ) -> None:
        csv_path = Path(csv_path)
        rows = read_csv_annotations(csv_path)
        space = LabelSpace.from_tokens(
            (row.labels for row in rows), names=classes, multi_label=multi_label, num_classes=num_classes
        )
        if split is not None and any(row.split for row in rows):
            rows = [row for row in rows if row.split == canonical_split(split)]
            if not rows:
                raise LayoutError(f"{csv_path} has no rows with split {split!r}")
        else:
            rows = select_split(rows, [r.video for r in rows], split=split, holdout=holdout, where=str(csv_path))
        root = Path(videos) if videos is not None else csv_path.parent
        records = [VideoRecord(resolve_video(root, row.video), space.indices(row.labels)) for row in rows]
        super().__init__(
            records,
            num_classes=space.num_classes,
            multi_label=space.multi_label,
            clip=clip,
            transform=transform,
            class_names=space.names,
        )


# --- Charades ----------------------------------------------------------------------------------


def read_charades_classes(path: str | Path) -> tuple[list[str], list[str]]:
    """Charades_v1_classes.txt: lines 'c000 Holding some clothes' -> (ids, descriptions)."""
    ids, descriptions = [], []
    for line in read_class_list(path):
        ident, _, description = line.partition(" ")
        ids.append(ident)
        descriptions.append(description.strip())
    return ids, descriptions


def parse_charades_actions(actions: str, lookup: dict[str, int]) -> tuple[tuple[int, float, float], ...]:
    """'c092 11.90 21.20;c147 0.00 12.60' -> ((92, 11.9, 21.2), (147, 0.0, 12.6))."""
    segments = []
    for part in actions.split(";"):
        fields = part.split()
        if not fields:
            continue
        if len(fields) != 3 or fields[0] not in lookup:
            raise LayoutError(f"bad Charades action {part.strip()!r} (expected 'c092 11.90 21.20')")
        segments.append((lookup[fields[0]], float(fields[1]), float(fields[2])))
    return tuple(segments)


class CharadesDataset(VideoDataset):
    """Charades: `Charades_v1_train.csv` / `_test.csv` (columns id, actions) and the class list.

    Labels are multi-hot. With labels="clip" (the default in training) a class is active when one of
    its annotated segments [start, end] overlaps the clip's window [first instant, last instant + one
    frame period) by any positive length, so a clip sampled between actions can have no label at all.
    With labels="video" (the default in evaluation) every class annotated anywhere in the video is
    active, which is the Charades_v1_classify setting the paper evaluates in.

    Args:
        csv_path: the annotation CSV.
        classes: the class list file ('c000 Holding some clothes' per line).
        videos: folder with '<id>.mp4' (or another suffix); default: the CSV's folder.
    """

    def __init__(
        self,
        csv_path: str | Path,
        *,
        classes: str | Path,
        videos: str | Path | None = None,
        labels: Literal["clip", "video"] | None = None,
        clip: ClipConfig | None = None,
        transform: Transform | None = None,
    ) -> None:
        csv_path = Path(csv_path)
        ids, descriptions = read_charades_classes(classes)
        lookup = {ident: index for index, ident in enumerate(ids)}
        root = Path(videos) if videos is not None else csv_path.parent
        if not csv_path.is_file():
            raise LayoutError(f"annotation file {csv_path} does not exist")
        reader = csv.DictReader(io.StringIO(read_annotation_text(csv_path), newline=""))
        header = list(reader.fieldnames or [])
        if "id" not in header or "actions" not in header:
            raise LayoutError(f"{csv_path} needs columns 'id' and 'actions' (found {', '.join(header)})")
        records = []
        for row in reader:
            if not (row["id"] or "").strip():
                raise LayoutError(f"{csv_path}:{reader.line_num}: the id column is empty; every row needs a video")
            segments = parse_charades_actions(row["actions"] or "", lookup)
            present = tuple(sorted({segment[0] for segment in segments}))
            records.append(VideoRecord(resolve_video(root, row["id"].strip()), present, segments))
        config = clip or ClipConfig()
        self.labels = labels or ("clip" if config.train else "video")
        if self.labels not in ("clip", "video"):
            raise LayoutError(f"labels must be 'clip' or 'video', got {self.labels!r}")
        super().__init__(
            records,
            num_classes=len(ids),
            multi_label=True,
            clip=config,
            transform=transform,
            class_names=descriptions,
        )

    def label(self, record: VideoRecord, times: np.ndarray) -> torch.Tensor:
        if self.labels == "video":
            active = record.labels
        else:
            period = float(times[1] - times[0]) if len(times) > 1 else 0.0
            begin, end = float(times[0]), float(times[-1]) + period
            active = tuple(sorted({c for c, start, stop in record.segments if start < end and stop > begin}))
        return label_tensor(active, num_classes=self.num_classes, multi_label=True)
