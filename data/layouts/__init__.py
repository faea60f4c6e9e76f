"""The data layouts, one module each: the datasets over what users already have on disk (class
folders, a CSV, Charades annotations, mmaction2 frame lists) and the built-in proxy task.

A layout module declares `LAYOUT = Layout(kind, path, options, build)` (anet.data.layout): the
kind that names it in a data spec, its options with their types and defaults, and the function
that makes a `DataSpec`. `registered()` finds every module here that declares one, so adding a
layout is adding one module to this package. `common.py` holds what the video layouts share:
records, the label space, splits and holdouts.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ..layout import Layout
from .charades import CharadesDataset, read_charades_classes
from .common import (
    SPLIT_ALIASES,
    LabelSpace,
    LayoutError,
    VideoDataset,
    VideoRecord,
    canonical_split,
    in_holdout,
    label_tensor,
    read_class_list,
    resolve_video,
    select_split,
)
from .csv_table import VideoCsvDataset, read_csv_annotations
from .folder import (
    VideoFolderDataset,
    find_videos,
    folder_classes,
    has_split_folders,
    has_videos,
    split_folder,
)

__all__ = [
    "SPLIT_ALIASES",
    "CharadesDataset",
    "LabelSpace",
    "LayoutError",
    "VideoCsvDataset",
    "VideoDataset",
    "VideoFolderDataset",
    "VideoRecord",
    "canonical_split",
    "find_videos",
    "folder_classes",
    "has_split_folders",
    "has_videos",
    "in_holdout",
    "label_tensor",
    "read_charades_classes",
    "read_class_list",
    "read_csv_annotations",
    "registered",
    "resolve_video",
    "select_split",
    "split_folder",
]


@functools.cache
def registered() -> dict[str, Layout]:
    """Every layout of this package by its kind, in alphabetical order. Imported on first use:
    the frame-list layout imports `anet.data.frames`, which imports this package."""
    layouts = {}
    for module in pkgutil.iter_modules(__path__):
        layout = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LAYOUT", None)
        if isinstance(layout, Layout):
            if layout.kind in layouts:
                raise RuntimeError(f"two layouts of kind {layout.kind!r}: {module.name} and another")
            layouts[layout.kind] = layout
    return dict(sorted(layouts.items()))
