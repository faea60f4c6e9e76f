"""mmaction2 / TSN "rawframes": a folder of JPEG frames per video plus precomputed TV-L1 flow images.

    root/<video>/img_00001.jpg ...            RGB frames, numbered from 1
    root/<video>/flow_x_00001.jpg ...         flow from frame k to frame k + 1, x (rightwards) component
    root/<video>/flow_y_00001.jpg ...         ... y (downwards) component
    root/<video>.seg.npz                      segmentation maps, one per frame (with `objects=`;
                                              exactly num_frames of them, see segmentation.py)
    list.txt: "<video> <num_frames> <label> [<label> ...]" per line

Flow images are 8-bit: v = (px / bound) * 127.5 + 127.5, clipped, so 128 is (almost) zero and
px = (v - 127.5) / 127.5 * bound. The bound is 20 px by the mmaction2 convention, or the one
`anet flow extract` recorded for each video in `anet_frames.json`. A video of n frames usually has
n - 1 flow images; the last frame reuses the last flow, as the official AssembleNet flow layer does.

Frame folders carry no frame rate. Sampling at a target fps needs `source_fps`, which `extract_flow`
records for each video (and for all, when they share one) in `anet_frames.json` next to the list
file; without a target fps clips are consecutive frames.
Flow is in pixels per source frame: sampling every k-th frame does not sum the flow over the k steps,
so extract at the rate you train at when flow magnitudes matter (`extract_flow(fps=...)`).

OpenCV reads the JPEGs; it is an optional dependency (the `flow` extra), imported when first needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .clip import ClipConfig, Transform
from .decode import VideoDecodeError
from .layouts.common import LabelSpace, LayoutError, label_tensor, require_maps, select_split
from .sampling import nearest_frame_indices
from .segmentation import LabelMaps, map_path
from .text import read_annotation_text
from .transforms import frames_to_tensor, resize_flow

FLOW_BOUND = 20.0
IMAGE_TEMPLATE = "img_{:05d}.jpg"
FLOW_TEMPLATE = "flow_{}_{:05d}.jpg"
INFO_FILE = "anet_frames.json"


def require_cv2() -> ModuleType:
    """cv2, or an error that says which package provides it."""
    try:
        import cv2  # optional dependency, only needed for frame folders and flow
    except ImportError as error:
        raise ImportError(
            "frame folders and flow extraction need OpenCV: pip install 'anet[flow]' (opencv-contrib-python-headless)"
        ) from error
    return cv2


def encode_flow(flow: np.ndarray, *, bound: float = FLOW_BOUND) -> np.ndarray:
    """Flow in pixels -> uint8 image values, clipped to +-bound."""
    scaled = np.clip(np.asarray(flow, dtype=np.float32), -bound, bound) / bound * 127.5 + 127.5
    return np.round(scaled).astype(np.uint8)


def decode_flow(image: np.ndarray, *, bound: float = FLOW_BOUND) -> np.ndarray:
    """uint8 image values -> flow in pixels (float32)."""
    return (np.asarray(image, dtype=np.float32) - 127.5) / 127.5 * bound


@dataclass(frozen=True)
class FrameRecord:
    """A line of a rawframe list: folder (relative to the root), frame count, label tokens."""

    directory: str
    num_frames: int
    labels: tuple[str, ...]


def read_frame_list(path: str | Path) -> list[FrameRecord]:
    """Parse an mmaction2 rawframe list ('<video_dir> <num_frames> <label> [...]' per line)."""
    path = Path(path)
    if not path.is_file():
        raise LayoutError(f"frame list {path} does not exist")
    records = []
    for number, line in enumerate(read_annotation_text(path).split("\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 3 or not fields[1].isdigit() or not all(f.isdigit() for f in fields[2:]):
            raise LayoutError(
                f"{path}:{number}: expected '<video_dir> <num_frames> <label> [<label> ...]', got {line!r}"
            )
        records.append(FrameRecord(fields[0], int(fields[1]), tuple(fields[2:])))
    if not records:
        raise LayoutError(f"{path} lists no videos")
    return records


def write_frame_list(path: str | Path, records: Sequence[FrameRecord]) -> None:
    lines = [" ".join([r.directory, str(r.num_frames), *r.labels]) for r in records]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_frames_info(folder: str | Path) -> dict[str, Any]:
    """What `extract_flow` recorded about a frame folder (fps, bound, size, method, videos); empty if nothing."""
    path = Path(folder) / INFO_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class FrameFolderDataset(Dataset[dict[str, Any]]):
    """Clips from rawframe folders, with precomputed flow when asked.

    Args:
        list_file: the rawframe list.
        root: folder the list's paths are relative to; default: the list's folder.
        clip: frames, size, fps, train/eval behaviour, segmentation maps (`objects`).
        flow: load flow images too; default: when the first video has them.
        source_fps: the frames' rate; default: each video's rate from `anet_frames.json`. Needed only
            when clip.fps is set.
        bound: pixel value of flow image 255 (and minus that of 0); default: each video's bound from
            `anet_frames.json`, else FLOW_BOUND (the mmaction2 convention).
        multi_label / num_classes: as in `layouts.LabelSpace.from_tokens`, over this list's labels.
        split / holdout: "train" or "val" part of a list under a stable hash holdout (None: all).
    """

    def __init__(
        self,
        list_file: str | Path,
        *,
        root: str | Path | None = None,
        clip: ClipConfig | None = None,
        transform: Transform | None = None,
        flow: bool | None = None,
        source_fps: float | None = None,
        bound: float | None = None,
        multi_label: bool | None = None,
        num_classes: int | None = None,
        split: str | None = None,
        holdout: float = 0.0,
    ) -> None:
        require_cv2()  # fail here, with the install hint, rather than in a DataLoader worker
        list_file = Path(list_file)
        self.records = read_frame_list(list_file)
        self.root = Path(root) if root is not None else list_file.parent
        self.clip = clip or ClipConfig()
        self.transform = transform or self.clip.transform()
        space = LabelSpace.from_tokens(
            (r.labels for r in self.records), multi_label=multi_label, num_classes=num_classes
        )
        self.num_classes, self.multi_label = space.num_classes, space.multi_label
        names = [r.directory for r in self.records]
        self.records = select_split(self.records, names, split=split, holdout=holdout, where=str(list_file))
        self.class_names: tuple[str, ...] | None = None
        first = self.root / self.records[0].directory
        if not (first / IMAGE_TEMPLATE.format(1)).is_file():
            raise LayoutError(f"no {IMAGE_TEMPLATE.format(1)} in {first} (is root={self.root} right?)")
        self.flow = flow if flow is not None else (first / FLOW_TEMPLATE.format("x", 1)).is_file()
        info = read_frames_info(self.root)
        self.source_fps = source_fps or info.get("fps")
        self.bound = bound or info.get("bound") or FLOW_BOUND
        # Per-video rates and bounds: videos of mixed frame rates, bounds picked from each video's flow.
        videos = info.get("videos", {})
        self.video_fps = {} if source_fps else {k: v["fps"] for k, v in videos.items() if v.get("fps")}
        self.video_bound = {} if bound else {k: v["bound"] for k, v in videos.items() if v.get("bound")}
        known_rates = all(self.video_fps.get(r.directory) for r in self.records)
        if self.clip.fps is not None and not self.source_fps and not known_rates:
            raise LayoutError(
                f"sampling {list_file} at fps={self.clip.fps} needs the frames' own rate: pass source_fps= "
                f"(frame folders made by `anet flow extract` record it in {INFO_FILE})"
            )
        if self.clip.objects:
            require_maps([self.root / r.directory for r in self.records], self.clip.objects)

    def __len__(self) -> int:
        return len(self.records)

    def indices(self, num_frames: int, source_fps: float | None = None) -> np.ndarray:
        """0-based frame indices of one clip of a video with `num_frames` frames at `source_fps`."""
        rate = float(source_fps or self.source_fps or 1.0)  # without a target fps only frame steps matter
        times = self.clip.sampler().times(num_frames / rate, source_fps=rate)
        return nearest_frame_indices(times, source_fps=rate, num_frames=num_frames)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        folder = self.root / record.directory
        picks = self.indices(record.num_frames, self.video_fps.get(record.directory))
        unique, inverse = np.unique(picks, return_inverse=True)
        rgb = np.stack([self._image(folder / IMAGE_TEMPLATE.format(k + 1)) for k in unique])[inverse]
        clip = {"rgb": frames_to_tensor(rgb)}
        if self.flow:
            bound = self.video_bound.get(record.directory, self.bound)
            flow = torch.from_numpy(np.stack([self._flow(folder, k + 1, bound) for k in unique])[inverse])
            flow = flow.permute(1, 0, 2, 3)  # [T, 2, H, W] -> [2, T, H, W]
            if flow.shape[-2:] != clip["rgb"].shape[-2:]:
                flow = resize_flow(flow, tuple(clip["rgb"].shape[-2:]))
            clip["flow"] = flow
        if self.clip.objects:
            clip["segmentation"] = self._maps(folder, record, picks, rgb.shape[1:3])
        label = label_tensor(
            tuple(int(t) for t in record.labels), num_classes=self.num_classes, multi_label=self.multi_label
        )
        return {**self.transform(clip), "label": label, "video": str(folder)}

    def _maps(self, folder: Path, record: FrameRecord, picks: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
        maps = LabelMaps.read(map_path(folder), classes=self.clip.objects or 0)
        maps.check_fits(frames=record.num_frames, width=size[1], height=size[0], video=folder, slack=0)
        return maps.frames(picks, size)

    def _image(self, path: Path) -> np.ndarray:
        cv2 = require_cv2()
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise VideoDecodeError(path.parent, f"cannot read frame {path}")
        return image[:, :, ::-1]  # BGR -> RGB

    def _flow(self, folder: Path, number: int, bound: float) -> np.ndarray:
        """Flow image pair `number`, or the one before it for the last frame (n frames, n - 1 flows)."""
        cv2 = require_cv2()
        for k in (number, number - 1):
            x = cv2.imread(str(folder / FLOW_TEMPLATE.format("x", k)), cv2.IMREAD_GRAYSCALE)
            y = cv2.imread(str(folder / FLOW_TEMPLATE.format("y", k)), cv2.IMREAD_GRAYSCALE)
            if x is not None and y is not None:
                return decode_flow(np.stack([x, y]), bound=bound)
        raise VideoDecodeError(folder, f"cannot read {FLOW_TEMPLATE.format('x', number)} / flow_y in {folder}")
