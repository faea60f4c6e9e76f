"""`frames:LIST`: mmaction2 rawframe folders listed in a file, with optional 8-bit flow images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ..clip import ClipConfig
from ..dataspec import DataSpec, spec_of
from ..frames import FLOW_TEMPLATE, FrameFolderDataset, read_frame_list
from ..layout import CLIP_OPTIONS, ExistingPath, Flag, Layout, Number, Values, existing
from .common import (
    LabelSpace,
    read_class_list,
    sibling,
)


def build(text: str, path: str | None, options: Values) -> DataSpec:
    train_list = existing(Path(str(path)).expanduser(), text, "frame list")
    root = options["root"] or train_list.parent
    val_list = options["val"] or sibling(train_list, "train", "val")
    holdout = options["holdout"]
    if val_list:  # the list is all the validation data
        holdout = 0.0
    records = read_frame_list(train_list) + (read_frame_list(val_list) if val_list else [])
    space = LabelSpace.from_tokens((r.labels for r in records), multi_label=options["multilabel"])
    flow = options["flow"]
    if flow is None:
        flow = (root / records[0].directory / FLOW_TEMPLATE.format("x", 1)).is_file()
    source_fps = options["source_fps"]
    classes_file = train_list.parent / "classes.txt"
    names = read_class_list(classes_file) if classes_file.is_file() else None
    if names is not None and len(names) != space.num_classes:
        names = None  # a classes.txt that does not match these labels is someone else's

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        source = val_list if split == "val" and val_list else train_list
        return FrameFolderDataset(
            source,
            root=root,
            clip=clip,
            flow=flow,
            source_fps=source_fps,
            num_classes=space.num_classes,
            multi_label=space.multi_label,
            split=None if val_list else split,
            holdout=holdout,
        )

    return spec_of(
        text,
        "frames",
        options.clip(),
        factory,
        num_classes=space.num_classes,
        multi_label=space.multi_label,
        has_flow=flow,
        class_names=tuple(names) if names else None,
    )


LAYOUT = Layout(
    kind="frames",
    path="LIST",
    options={
        "root": ExistingPath(metavar="DIR"),
        "val": ExistingPath(metavar="LIST"),
        "flow": Flag(),
        "source_fps": Number(low=1e-3),
        "multilabel": Flag(),
        "holdout": Number(0.1, high=0.99),
    }
    | CLIP_OPTIONS,
    build=build,
)
