"""Data specs: one command-line string that names a dataset and how to read it.

    KIND[:[PATH][,KEY=VALUE]...]

    proxy[:classes=8,frames=8,size=32,train=512,val=512,seed=0,flow=false,cache=false,distractors=2,noise=0.02]
    folder:ROOT[,holdout=0.1]
    csv:FILE[,videos=DIR][,classes=FILE][,multilabel=BOOL][,val=FILE][,holdout=0.1]
    charades:TRAIN_CSV,classes=FILE[,videos=DIR][,val=TEST_CSV]
    frames:LIST[,root=DIR][,val=LIST][,flow=BOOL][,source_fps=FPS][,multilabel=BOOL][,holdout=0.1]
    list:FILE[,videos=DIR][,val=FILE][,classes=FILE][,multilabel=BOOL][,holdout=0.1]  (anet.data.video_list)

Every real-data kind also takes frames=, size=, fps= (sampling rate; folder/csv/frames default to each
video's own rate, charades to 6 fps as in the paper), flip= (training flip probability) and
eval_short_side=. Values fixed in the spec win over the defaults a consumer passes to `datasets()`,
so `proxy:frames=16` means 16 frames whatever the trainer's own default is.

Validation data: folder uses root/val (or validation/) when root/train exists, else a stable hash
holdout (default 10 %); csv uses its split column, else val=FILE, else the holdout; charades uses
val=, else the sibling file with "train" replaced by "test"; frames uses val=, else the sibling list
with "train" replaced by "val", else the holdout.

Parsing checks paths and reads the class lists, so `num_classes`, `multi_label` and `has_flow` are
known before any dataset is built. Every problem is a `DataSpecError` whose message is meant to be
shown as it is (no traceback). Paths cannot contain commas. This module builds nothing but datasets:
models and training live elsewhere.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from anet.data.clip import ClipConfig
from anet.data.decode import VIDEO_SUFFIXES
from anet.data.frames import FLOW_TEMPLATE, FrameFolderDataset, read_frame_list
from anet.data.layouts import (
    CharadesDataset,
    LabelSpace,
    LayoutError,
    VideoCsvDataset,
    VideoFolderDataset,
    folder_classes,
    has_split_folders,
    has_videos,
    read_charades_classes,
    read_class_list,
    read_csv_annotations,
    split_folder,
)
from anet.data.proxy import PROXY_CLASSES, ProxyConfig, ProxyDataset
from anet.data.video_list import OPTIONS as LIST_OPTIONS
from anet.data.video_list import SYNTAX as LIST_SYNTAX
from anet.data.video_list import video_list_spec
from anet.errors import UserError

SYNTAX = {
    "proxy": "proxy[:classes=8,frames=8,size=32,train=512,val=512,seed=0,flow=false,cache=false]",
    "folder": "folder:ROOT[,holdout=0.1]  (ROOT/<class>/<video> or ROOT/{train,val}/<class>/<video>)",
    "csv": "csv:FILE[,videos=DIR][,classes=FILE][,multilabel=BOOL][,val=FILE][,holdout=0.1]",
    "charades": "charades:TRAIN_CSV,classes=FILE[,videos=DIR][,val=TEST_CSV]",
    "frames": "frames:LIST[,root=DIR][,val=LIST][,flow=BOOL][,source_fps=FPS][,holdout=0.1]",
    "list": LIST_SYNTAX,
}
_CLIP_OPTIONS = {"frames", "size", "fps", "flip", "eval_short_side"}
_OPTIONS = {
    "proxy": {"classes", "frames", "size", "train", "val", "seed", "flow", "cache", "distractors", "noise"},
    "folder": _CLIP_OPTIONS | {"holdout"},
    "csv": _CLIP_OPTIONS | {"videos", "classes", "multilabel", "val", "holdout"},
    "charades": _CLIP_OPTIONS | {"classes", "videos", "val"},
    "frames": _CLIP_OPTIONS | {"root", "val", "flow", "source_fps", "multilabel", "holdout"},
    "list": _CLIP_OPTIONS | LIST_OPTIONS,
}
_OPTION = re.compile(r"([a-z_]+)=(.*)", re.DOTALL)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}

Factory = Callable[[str, ClipConfig], Dataset[dict[str, Any]]]
log = logging.getLogger(__name__)


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
    names no classes (integer labels). `flip` and `eval_short_side` go into every `ClipConfig`.
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


# --- parsing -----------------------------------------------------------------------------------


def parse_data_spec(text: str) -> DataSpec:
    """Parse and check a data spec (see the module docstring for the syntax)."""
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in SYNTAX:
        raise DataSpecError(f"unknown data kind {kind!r} in {text!r}; expected one of: " + ", ".join(SYNTAX))
    positional, options = _split_items(text, kind, rest)
    try:
        return _BUILDERS[kind](text, positional, options)
    except LayoutError as error:
        raise DataSpecError(f"data spec {text!r}: {error}") from error


def _split_items(text: str, kind: str, rest: str) -> tuple[str | None, dict[str, str]]:
    positional: str | None = None
    options: dict[str, str] = {}
    for item in (part.strip() for part in rest.split(",")):
        if not item:
            continue
        match = _OPTION.fullmatch(item)
        if match is None:
            if positional is not None:
                raise DataSpecError(
                    f"data spec {text!r} has two paths ({positional!r}, {item!r}); paths cannot contain "
                    f"commas. Syntax: {SYNTAX[kind]}"
                )
            positional = item
            continue
        key, value = match.groups()
        if key not in _OPTIONS[kind]:
            raise DataSpecError(
                f"unknown option {key!r} for {kind} in {text!r}; {kind} takes: " + ", ".join(sorted(_OPTIONS[kind]))
            )
        if key in options:
            raise DataSpecError(f"option {key!r} is given twice in {text!r}")
        options[key] = value.strip()
    if kind == "proxy" and positional is not None:
        raise DataSpecError(f"proxy takes no path, got {positional!r}. Syntax: {SYNTAX['proxy']}")
    if kind != "proxy" and positional is None:
        raise DataSpecError(f"{kind} needs a path in {text!r}. Syntax: {SYNTAX[kind]}")
    return positional, options


class _Options:
    """Typed access to a spec's options, with errors that name the option and the spec."""

    def __init__(self, text: str, raw: dict[str, str]) -> None:
        self.text, self.raw = text, raw

    def _convert(self, key: str, kind: type, convert: Callable[[str], Any]) -> Any:
        try:
            return convert(self.raw[key])
        except ValueError:
            raise DataSpecError(f"option {key}={self.raw[key]!r} in {self.text!r} is not {kind.__name__}") from None

    def integer(self, key: str, default: int | None = None, *, minimum: int = 1) -> int | None:
        if key not in self.raw:
            return default
        value = self._convert(key, int, int)
        if value < minimum:
            raise DataSpecError(f"option {key}={value} in {self.text!r} must be at least {minimum}")
        return value

    def number(
        self, key: str, default: float | None = None, *, low: float = 0.0, high: float = math.inf
    ) -> float | None:
        if key not in self.raw:
            return default
        value = self._convert(key, float, float)
        if not low <= value <= high:
            raise DataSpecError(f"option {key}={value} in {self.text!r} must be in [{low}, {high}]")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool | None:
        if key not in self.raw:
            return default
        value = self.raw[key].lower()
        if value not in _TRUE | _FALSE:
            raise DataSpecError(f"option {key}={self.raw[key]!r} in {self.text!r} is not true or false")
        return value in _TRUE

    def path(self, key: str) -> Path | None:
        """An existing file or folder."""
        if key not in self.raw:
            return None
        return _existing(Path(self.raw[key]).expanduser(), self.text, key)

    def clip(self) -> dict[str, Any]:
        """The clip options every real-data kind takes, as DataSpec fields."""
        return {
            "frames": self.integer("frames"),
            "size": self.integer("size"),
            "fps": self.number("fps", low=1e-3),
            "flip": self.number("flip", 0.5, high=1.0),
            "eval_short_side": self.integer("eval_short_side"),
        }


def _existing(path: Path, text: str, what: str) -> Path:
    if not path.exists():
        raise DataSpecError(f"{what} {path} in data spec {text!r} does not exist")
    return path


def _spec(
    text: str,
    kind: str,
    clip: dict[str, Any],
    factory: Factory,
    *,
    defaults: tuple[int, int, float | None] = (8, 112, None),
    **fields: Any,
) -> DataSpec:
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


def _proxy(text: str, path: str | None, raw: dict[str, str]) -> DataSpec:
    get = _Options(text, raw)
    frames, size = get.integer("frames"), get.integer("size")
    try:
        config = ProxyConfig(
            classes=get.integer("classes", 8, minimum=2),
            frames=frames or 8,
            size=size or 32,
            distractors=get.integer("distractors", 2, minimum=0),
            noise=get.number("noise", 0.02, high=1.0),
        )
    except ValueError as error:
        raise DataSpecError(f"data spec {text!r}: {error}") from error
    samples = {"train": get.integer("train", 512), "val": get.integer("val", 512)}
    seed, flow, cache = get.integer("seed", 0, minimum=0), get.flag("flow", False), get.flag("cache", False)

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        shaped = replace(config, frames=clip.frames, size=clip.size)  # fps has no meaning here
        return ProxyDataset(
            samples=samples[split], split=split, seed=seed, flow=bool(flow), cache=bool(cache), config=shaped
        )

    # The proxy is never flipped: a flip turns "left" into "right".
    clip = {"frames": frames, "size": size, "fps": None, "flip": 0.0, "eval_short_side": None}
    names = tuple(name for name, _ in PROXY_CLASSES[: config.classes])
    return _spec(
        text,
        "proxy",
        clip,
        factory,
        defaults=(8, 32, None),
        num_classes=config.classes,
        multi_label=False,
        has_flow=bool(flow),
        class_names=names,
    )


def _folder(text: str, path: str | None, raw: dict[str, str]) -> DataSpec:
    get = _Options(text, raw)
    root = _existing(Path(str(path)).expanduser(), text, "video folder")
    holdout = get.number("holdout", 0.1, high=0.99)
    classes = folder_classes(root)
    if not classes:
        raise DataSpecError(f"{root} has no class folders (expected {root}/<class>/<video>.mp4)")
    if has_split_folders(root) and split_folder(root, "val") is None:
        raise DataSpecError(f"{root} has a train folder but no val (or validation) folder")
    clip = get.clip()
    parents = [root] if not has_split_folders(root) else [split_folder(root, s) or root for s in ("train", "val")]
    for name in classes:
        if not any(has_videos(parent / name) for parent in parents):
            raise DataSpecError(
                f"class folder {name!r} under {root} has no videos ({', '.join(VIDEO_SUFFIXES)}): "
                "add videos or remove the folder"
            )

    def factory(split: str, clip: ClipConfig) -> Dataset[dict[str, Any]]:
        return VideoFolderDataset(root, split=split, holdout=holdout or 0.0, classes=classes, clip=clip)

    return _spec(
        text,
        "folder",
        clip,
        factory,
        num_classes=len(classes),
        multi_label=False,
        has_flow=False,
        class_names=tuple(classes),
    )


def _csv(text: str, path: str | None, raw: dict[str, str]) -> DataSpec:
    get = _Options(text, raw)
    train_csv = _existing(Path(str(path)).expanduser(), text, "annotation file")
    val_csv = get.path("val")
    videos = get.path("videos")
    names = read_class_list(classes_file) if (classes_file := get.path("classes")) else None
    holdout = get.number("holdout", 0.1, high=0.99) or 0.0
    files = [(train_csv, read_csv_annotations(train_csv))] + (
        [(val_csv, read_csv_annotations(val_csv))] if val_csv else []
    )
    rows = [row for _, part in files for row in part]
    space = LabelSpace.from_tokens((r.labels for r in rows), names=names, multi_label=get.flag("multilabel"))
    if get.flag("multilabel") is None and space.multi_label and all(len(r.labels) <= 1 for r in rows):
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

    return _spec(
        text,
        "csv",
        get.clip(),
        factory,
        num_classes=space.num_classes,
        multi_label=space.multi_label,
        has_flow=False,
        class_names=space.names,
    )


def _charades(text: str, path: str | None, raw: dict[str, str]) -> DataSpec:
    get = _Options(text, raw)
    train_csv = _existing(Path(str(path)).expanduser(), text, "annotation file")
    classes_file = get.path("classes")
    if classes_file is None:
        raise DataSpecError(f"charades needs classes=FILE (Charades_v1_classes.txt). Syntax: {SYNTAX['charades']}")
    val_csv = get.path("val") or _sibling(train_csv, "train", "test")
    if val_csv is None:
        raise DataSpecError(f"no validation file for {train_csv}: pass val=Charades_v1_test.csv")
    videos = get.path("videos")
    ids, descriptions = read_charades_classes(classes_file)
    clip = get.clip()

    def factory(split: str, config: ClipConfig) -> Dataset[dict[str, Any]]:
        source = train_csv if split == "train" else val_csv
        return CharadesDataset(source, classes=classes_file, videos=videos, clip=config)

    return _spec(
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


def _frames(text: str, path: str | None, raw: dict[str, str]) -> DataSpec:
    get = _Options(text, raw)
    train_list = _existing(Path(str(path)).expanduser(), text, "frame list")
    root = get.path("root") or train_list.parent
    val_list = get.path("val") or _sibling(train_list, "train", "val")
    holdout = 0.0 if val_list else get.number("holdout", 0.1, high=0.99) or 0.0
    records = read_frame_list(train_list) + (read_frame_list(val_list) if val_list else [])
    space = LabelSpace.from_tokens((r.labels for r in records), multi_label=get.flag("multilabel"))
    flow = get.flag("flow")
    if flow is None:
        flow = (root / records[0].directory / FLOW_TEMPLATE.format("x", 1)).is_file()
    source_fps = get.number("source_fps", low=1e-3)
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

    return _spec(
        text,
        "frames",
        get.clip(),
        factory,
        num_classes=space.num_classes,
        multi_label=space.multi_label,
        has_flow=flow,
        class_names=tuple(names) if names else None,
    )


def _sibling(path: Path, old: str, new: str) -> Path | None:
    """path with `old` replaced by `new` in its file name, if that file exists."""
    if old not in path.name:
        return None
    candidate = path.with_name(path.name.replace(old, new))
    return candidate if candidate.is_file() else None


_BUILDERS: dict[str, Callable[[str, str | None, dict[str, str]], DataSpec]] = {
    "proxy": _proxy,
    "folder": _folder,
    "csv": _csv,
    "charades": _charades,
    "frames": _frames,
    "list": video_list_spec,
}
