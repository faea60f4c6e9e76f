"""`folder:ROOT`: a folder per class (Kinetics, Moments in Time), optionally under train/ and val/."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ..clip import ClipConfig, Transform
from ..dataspec import DataSpec, DataSpecError, spec_of
from ..decode import VIDEO_SUFFIXES
from ..layout import CLIP_OPTIONS, Layout, Number, Values, existing
from .common import (
    SPLIT_ALIASES,
    LayoutError,
    VideoDataset,
    VideoRecord,
    canonical_split,
    select_split,
)


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


def build(text: str, path: str | None, options: Values) -> DataSpec:
    root = existing(Path(str(path)).expanduser(), text, "video folder")
    holdout = options["holdout"]
    classes = folder_classes(root)
    if not classes:
        raise DataSpecError(f"{root} has no class folders (expected {root}/<class>/<video>.mp4)")
    if has_split_folders(root) and split_folder(root, "val") is None:
        raise DataSpecError(f"{root} has a train folder but no val (or validation) folder")
    clip = options.clip()
    parents = [root] if not has_split_folders(root) else [split_folder(root, s) or root for s in ("train", "val")]
    for name in classes:
        if not any(has_videos(parent / name) for parent in parents):
            raise DataSpecError(
                f"class folder {name!r} under {root} has no videos ({', '.join(VIDEO_SUFFIXES)}): "
                "add videos or remove the folder"
            )

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        return VideoFolderDataset(root, split=split, holdout=holdout or 0.0, classes=classes, clip=clip)

    return spec_of(
        text,
        "folder",
        clip,
        factory,
        num_classes=len(classes),
        multi_label=False,
        has_flow=False,
        class_names=tuple(classes),
    )


LAYOUT = Layout(
    kind="folder",
    path="ROOT",
    options={"holdout": Number(0.1, high=0.99)} | CLIP_OPTIONS,
    build=build,
    note="ROOT/<class>/<video> or ROOT/{train,val}/<class>/<video>",
)
