"""`csv:FILE`: a table of videos, their labels and optionally their split."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ..clip import ClipConfig, Transform
from ..dataspec import DataSpec, spec_of
from ..layout import CLIP_OPTIONS, ExistingPath, Flag, Layout, Number, Values, existing
from ..text import read_annotation_text
from .common import (
    LabelSpace,
    LayoutError,
    VideoDataset,
    VideoRecord,
    canonical_split,
    read_class_list,
    resolve_video,
    select_split,
)

log = logging.getLogger(__name__)

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


def build(text: str, path: str | None, options: Values) -> DataSpec:
    train_csv = existing(Path(str(path)).expanduser(), text, "annotation file")
    val_csv = options["val"]
    videos = options["videos"]
    names = read_class_list(classes_file) if (classes_file := options["classes"]) else None
    holdout = options["holdout"] or 0.0
    files = [(train_csv, read_csv_annotations(train_csv))] + (
        [(val_csv, read_csv_annotations(val_csv))] if val_csv else []
    )
    rows = [row for _, part in files for row in part]
    space = LabelSpace.from_tokens((r.labels for r in rows), names=names, multi_label=options["multilabel"])
    if options["multilabel"] is None and space.multi_label and all(len(r.labels) <= 1 for r in rows):
        file, row = next((file, row) for file, part in files for row in part if not row.labels)
        unlabelled = sum(not r.labels for r in rows)
        log.warning(
            "%s:%d: video %s has no label; %d such row(s) make the whole data set multi-label "
            "(add the labels, or pass multilabel=true if that is meant)",
            file,
            row.line,
            row.video,
            unlabelled,
        )

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        if val_csv is not None:  # a separate validation file: each file is all of its split
            source, subset = (val_csv if split == "val" else train_csv), None
        else:  # the split column, or else the holdout
            source, subset = train_csv, split
        return VideoCsvDataset(
            source,
            split=subset,
            holdout=holdout,
            videos=videos,
            classes=space.names,
            num_classes=space.num_classes,
            multi_label=space.multi_label,
            clip=clip,
        )

    return spec_of(
        text,
        "csv",
        options.clip(),
        factory,
        num_classes=space.num_classes,
        multi_label=space.multi_label,
        has_flow=False,
        class_names=space.names,
    )


LAYOUT = Layout(
    kind="csv",
    path="FILE",
    options={
        "videos": ExistingPath(metavar="DIR"),
        "classes": ExistingPath(),
        "multilabel": Flag(),
        "val": ExistingPath(),
        "holdout": Number(0.1, high=0.99),
    }
    | CLIP_OPTIONS,
    build=build,
)
