"""mmaction2's video list, as a data spec (`list:FILE`): one video per line, `path label [label ...]`,
no header, labels as class indices (several make the data multi-label), paths relative to `videos=`
(mmaction2's `data_prefix`; default: the list's folder).

Validation: val=FILE, else the sibling list with "train" replaced by "val" (`kinetics_train_list.txt`
-> `kinetics_val_list.txt`), else a stable hash holdout. Class names come from classes=FILE (one
per line, in index order), else from `classes.txt` beside the list when its length fits, else they
are the indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ..clip import ClipConfig
from ..dataspec import DataSpec, DataSpecError, spec_of
from ..layout import CLIP_OPTIONS, ExistingPath, Flag, Layout, Number, Values, existing
from ..text import read_annotation_text
from .common import (
    LabelSpace,
    LayoutError,
    VideoDataset,
    VideoRecord,
    read_class_list,
    select_split,
    sibling,
)


@dataclass(frozen=True)
class ListEntry:
    video: str
    labels: tuple[str, ...]
    line: int


def read_video_list(path: Path) -> list[ListEntry]:
    """The entries of a list file; a malformed line is a `LayoutError` naming file and line."""
    entries = []
    for number, line in enumerate(read_annotation_text(path).split("\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or not all(f.isdigit() for f in fields[1:]):
            raise LayoutError(f"{path}:{number}: expected '<video path> <label index> [...]', got {line.strip()!r}")
        entries.append(ListEntry(fields[0], tuple(fields[1:]), number))
    if not entries:
        raise LayoutError(f"{path} lists no videos")
    return entries


class VideoListDataset(VideoDataset):
    """The videos of one list file (or its `split` part under a hash holdout)."""

    def __init__(
        self,
        entries: list[ListEntry],
        *,
        source: Path,
        videos: Path,
        space: LabelSpace,
        clip: ClipConfig,
        split: str | None = None,
        holdout: float = 0.0,
    ) -> None:
        chosen = select_split(entries, [e.video for e in entries], split=split, holdout=holdout, where=str(source))
        records = []
        for entry in chosen:
            path = Path(entry.video) if Path(entry.video).is_absolute() else videos / entry.video
            if not path.is_file():
                raise LayoutError(f"{source}:{entry.line}: video {path} does not exist")
            records.append(VideoRecord(path, space.indices(entry.labels)))
        super().__init__(
            records, num_classes=space.num_classes, multi_label=space.multi_label, clip=clip, class_names=space.names
        )


def build(text: str, path: str | None, options: Values) -> DataSpec:
    train_list = existing(Path(str(path)).expanduser(), text, "video list")
    val_list = options["val"] or sibling(train_list, "train", "val")
    videos = options["videos"] or train_list.parent
    holdout = options["holdout"] or 0.0  # read even when unused: every declared option is read
    if val_list is not None:
        holdout = 0.0
    multilabel = options["multilabel"]
    given_classes = options["classes"]
    entries = {"train": read_video_list(train_list), "val": read_video_list(val_list) if val_list else []}
    classes_file = given_classes or (train_list.parent / "classes.txt")
    names = read_class_list(classes_file) if classes_file.is_file() else None
    tokens = [e.labels for part in entries.values() for e in part]
    largest = max(int(t) for labels in tokens for t in labels)
    if names is not None and len(names) <= largest:
        if given_classes:
            raise DataSpecError(f"{classes_file} names {len(names)} classes, but {train_list} uses label {largest}")
        names = None  # a classes.txt that does not fit these labels is someone else's
    space = LabelSpace.from_tokens(tokens, multi_label=multilabel, num_classes=len(names or ()) or None)

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        if val_list is not None:
            source = val_list if split == "val" else train_list
            return VideoListDataset(entries[split], source=source, videos=videos, space=space, clip=clip)
        return VideoListDataset(
            entries["train"], source=train_list, videos=videos, space=space, clip=clip, split=split, holdout=holdout
        )

    return spec_of(
        text,
        "list",
        options.clip(),
        factory,
        num_classes=space.num_classes,
        multi_label=space.multi_label,
        has_flow=False,
        class_names=tuple(names) if names else None,
    )


LAYOUT = Layout(
    kind="list",
    path="FILE",
    options={
        "videos": ExistingPath(metavar="DIR"),
        "val": ExistingPath(),
        "classes": ExistingPath(),
        "multilabel": Flag(),
        "holdout": Number(0.1, high=0.99),
    }
    | CLIP_OPTIONS,
    build=build,
    note="lines: path label",
)
