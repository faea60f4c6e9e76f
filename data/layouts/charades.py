"""`charades:TRAIN_CSV,classes=FILE`: Charades annotations, multi-label actions over time intervals."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from ..clip import ClipConfig, Transform
from ..dataspec import DataSpec, DataSpecError, spec_of
from ..layout import CLIP_OPTIONS, ExistingPath, Layout, Values, existing
from ..text import read_annotation_text
from .common import (
    LayoutError,
    VideoDataset,
    VideoRecord,
    label_tensor,
    read_class_list,
    resolve_video,
    sibling,
)


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


def build(text: str, path: str | None, options: Values) -> DataSpec:
    train_csv = existing(Path(str(path)).expanduser(), text, "annotation file")
    classes_file = options["classes"]
    val_csv = options["val"] or sibling(train_csv, "train", "test")
    if val_csv is None:
        raise DataSpecError(f"no validation file for {train_csv}: pass val=Charades_v1_test.csv")
    videos = options["videos"]
    ids, descriptions = read_charades_classes(classes_file)
    clip = options.clip()

    def factory(split: str, config: ClipConfig) -> Dataset[dict[str, Any]]:
        source = train_csv if split == "train" else val_csv
        return CharadesDataset(source, classes=classes_file, videos=videos, clip=config)

    return spec_of(
        text,
        "charades",
        clip,
        factory,
        defaults=(8, 112, 6.0),
        num_classes=len(ids),
        multi_label=True,
        has_flow=False,
        class_names=tuple(descriptions),
    )


LAYOUT = Layout(
    kind="charades",
    path="TRAIN_CSV",
    options={"classes": ExistingPath(), "videos": ExistingPath(metavar="DIR"), "val": ExistingPath(metavar="TEST_CSV")}
    | CLIP_OPTIONS,
    build=build,
    required=("classes",),
    note="classes: Charades_v1_classes.txt of the Charades download",
)
