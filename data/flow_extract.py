"""Offline optical flow: videos in, mmaction2 rawframe folders out (see `frames.py`).

The official AssembleNet computes flow inside the model (a TV-L1 layer in tensor operations); other
two-stream toolkits precompute it once with OpenCV's TV-L1 and store 8-bit images clipped to +-20 px.
This module writes that format so the same data can feed both kinds of models. The flow method is
one of `METHODS` (`FlowEstimator`; accuracy and cost in docs/flow.md); all
TV-L1 variants use tau 0.25, lambda 0.15, theta 0.3, the official layer's values.

Flow images are 8-bit, so flow beyond +-bound cannot be stored. By default each video's bound is
its largest motion (`auto_bound`: nothing is clipped); with a fixed bound the clipped fraction is
measured and returned, never dropped silently.

Input layouts (the class-folder layouts of `layouts.py`):
    video_dir/<video>.mp4                     -> out_dir/list.txt, label 0
    video_dir/<class>/<video>.mp4             -> out_dir/list.txt, labels = sorted class index
    video_dir/<split>/<class>/<video>.mp4     -> out_dir/<split>_list.txt per split
Class names in label order go to out_dir/classes.txt; the method, size, and each video's frame rate,
bound, largest motion and clipped fraction to out_dir/anet_frames.json.
"""

from __future__ import annotations

import json
import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np

from .decode import VIDEO_SUFFIXES, VideoReader
from .frames import (
    FLOW_TEMPLATE,
    IMAGE_TEMPLATE,
    INFO_FILE,
    FrameRecord,
    encode_flow,
    require_cv2,
    write_frame_list,
)
from .layouts import (
    SPLIT_ALIASES,
    LayoutError,
    find_videos,
    folder_classes,
    has_split_folders,
    split_folder,
)

METHODS = ("tvl1", "pyramid", "dis")
Method = Literal["tvl1", "pyramid", "dis"]
# Frame pairs per batch of the `pyramid` method: enough to vectorise, small enough for memory.
_PYRAMID_PAIRS = 8


@dataclass(frozen=True)
class VideoFlow:
    """What was written for one video, and how its flow fits the 8-bit storage."""

    folder: Path
    frames: int
    fps: float
    bound: float
    largest_motion: float  # px, largest |x| or |y| component over the video
    clipped: int  # flow values (x and y counted separately) beyond +-bound
    values: int  # flow values in all


@dataclass(frozen=True)
class _Job:
    video: Path
    out: Path
    fps: float | None
    size: int | None
    bound: float | None
    method: Method


class FlowEstimator:
    """Flow between consecutive uint8 grey frames by one of `METHODS` (see docs/flow.md).

    * ``tvl1``: OpenCV's TV-L1 with an 8-level pyramid at scale step 0.5 (OpenCV's default, 5 levels at
      0.8, is 3-6x less accurate on real motion and up to 17x slower on large motion);
    * ``pyramid``: anet's coarse-to-fine TV-L1 layer (`runtime.flow_pyramid`) at full resolution,
      batched over frame pairs;
    * ``dis``: OpenCV's DIS flow, medium preset: fast, less accurate.
    """

    def __init__(self, method: Method) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown flow method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self._opencv: object | None = None
        self._size: tuple[int, ...] = ()

    def _algorithm(self, size: tuple[int, ...]) -> object:
        """The OpenCV algorithm for frames of `size`: a new one when the size changes, because a
        TV-L1 object reused on another size returns wrong flow (EPE 4.5 instead of 1.8 px measured)."""
        if self._opencv is None or size != self._size:
            cv2 = require_cv2()
            if self.method == "tvl1":
                self._opencv = cv2.optflow.DualTVL1OpticalFlow_create(scaleStep=0.5, nscales=8)
            else:
                self._opencv = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
            self._size = size
        return self._opencv

    def pairs(self, grays: Sequence[np.ndarray]) -> np.ndarray:
        """Flow from each frame to the next: float32 [len(grays) - 1, H, W, 2] in pixels (x, y)."""
        if self.method != "pyramid":
            algorithm = self._algorithm(grays[0].shape)
            flows = [algorithm.calc(a, b, None) for a, b in pairwise(grays)]  # type: ignore[attr-defined]
            return np.stack(flows) if flows else np.zeros((0, *grays[0].shape, 2), np.float32)
        import torch

        from ..runtime.flow_pyramid import pyramid_tvl1_pairs

        frames = torch.from_numpy(np.stack(grays)).float()
        chunks = []
        with torch.no_grad():
            for start in range(0, len(grays) - 1, _PYRAMID_PAIRS):
                stop = min(start + _PYRAMID_PAIRS, len(grays) - 1)
                flow = pyramid_tvl1_pairs(frames[start:stop], frames[start + 1 : stop + 1], scales=8)
                chunks.append(flow.permute(1, 2, 3, 0).numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, *grays[0].shape, 2), np.float32)


def auto_bound(largest_motion: float) -> float:
    """The storage bound `bound="auto"` picks: the largest motion rounded up to a whole pixel, at least 1.

    Nothing is clipped; the price is coarser steps (bound / 127.5 px) in videos with fast motion.
    """
    return float(max(1, math.ceil(largest_motion)))


def extract_video(
    video: str | Path,
    out: str | Path,
    *,
    fps: float | None = None,
    size: int | None = None,
    bound: float | None = None,
    method: Method = "tvl1",
) -> VideoFlow:
    """Frames and flow images of one video into folder `out`.

    Args:
        fps: resample to this rate first (None: every frame); flow is then between resampled frames.
        size: scale the short side down to this many pixels first (never up).
        bound: flow magnitude (px) that maps to 0 and 255; None: `auto_bound` of this video's flow.
        method: one of `METHODS`.

    The video's flow is held in memory (float16, 4 bytes per pixel and frame) until it is encoded,
    so that the bound can follow from it.
    """
    cv2 = require_cv2()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    estimator = FlowEstimator(method)
    grays: list[np.ndarray] = []
    flows: list[np.ndarray] = []
    count = 0
    with VideoReader(video, threads=0) as reader:
        rate = fps or reader.info.fps
        for count, rgb in enumerate(reader.frames(fps=fps, short_side=size), start=1):
            cv2.imwrite(str(out / IMAGE_TEMPLATE.format(count)), rgb[:, :, ::-1])
            grays.append(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
            if len(grays) > _PYRAMID_PAIRS:
                flows.append(estimator.pairs(grays).astype(np.float16))
                grays = grays[-1:]
    if count == 0:
        raise LayoutError(f"{video} has no frames")
    if len(grays) > 1:
        flows.append(estimator.pairs(grays).astype(np.float16))
    flow = np.concatenate(flows) if flows else np.zeros((0, 1, 1, 2), np.float16)
    largest = float(np.abs(flow).max()) if flow.size else 0.0
    bound = auto_bound(largest) if bound is None else bound
    for number, pair in enumerate(flow, start=1):
        encoded = encode_flow(pair, bound=bound)
        cv2.imwrite(str(out / FLOW_TEMPLATE.format("x", number)), encoded[..., 0])
        cv2.imwrite(str(out / FLOW_TEMPLATE.format("y", number)), encoded[..., 1])
    clipped = int(np.count_nonzero(np.abs(flow) > bound))
    return VideoFlow(out, count, float(rate), float(bound), largest, clipped, int(flow.size))


def _run(job: _Job) -> VideoFlow:
    return extract_video(job.video, job.out, fps=job.fps, size=job.size, bound=job.bound, method=job.method)


def _discover(video_dir: Path) -> tuple[dict[str, list[tuple[Path, int]]], list[str]]:
    """{list name: [(video, label)]} and the class names of a video folder."""
    if video_dir.is_file():
        return {"list": [(video_dir, 0)]}, []
    if not video_dir.is_dir():
        raise LayoutError(f"video folder {video_dir} does not exist")
    loose = sorted(p for p in video_dir.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    classes = folder_classes(video_dir)
    if loose and classes:
        raise LayoutError(f"{video_dir} has videos both directly inside and in class folders; pick one layout")
    if loose:
        return {"list": [(video, 0) for video in loose]}, []
    parents = {"list": video_dir}
    if has_split_folders(video_dir):
        parents = {f"{s}_list": f for s in SPLIT_ALIASES if (f := split_folder(video_dir, s)) is not None}
    lists = {
        name: [(video, index) for index, c in enumerate(classes) for video in find_videos(parent / c)]
        for name, parent in parents.items()
    }
    if not any(lists.values()):
        raise LayoutError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) under {video_dir}")
    return lists, classes


def find_videos_to_extract(videos: str | Path) -> int:
    """How many videos `extract_flow` would extract from `videos` (for a progress bar)."""
    lists, _ = _discover(Path(videos))
    return sum(len(entries) for entries in lists.values())


@dataclass(frozen=True)
class FlowExtraction:
    """What `extract_flow` wrote: the list files (one per split) and every video's `VideoFlow`."""

    lists: list[Path]
    videos: list[VideoFlow]

    @property
    def frames(self) -> int:
        return sum(v.frames for v in self.videos)

    @property
    def largest_motion(self) -> float:
        return max((v.largest_motion for v in self.videos), default=0.0)

    @property
    def clipped_fraction(self) -> float:
        values = sum(v.values for v in self.videos)
        return sum(v.clipped for v in self.videos) / values if values else 0.0


def extract_flow(
    video_dir: str | Path,
    out_dir: str | Path,
    *,
    fps: float | None = None,
    size: int | None = None,
    bound: float | None = None,
    method: Method = "tvl1",
    workers: int = 1,
    progress: Callable[[VideoFlow], None] | None = None,
) -> FlowExtraction:
    """Extract frames and flow of every video under `video_dir` (or of one video file) into rawframe folders.

    Each video goes to out_dir/<path relative to video_dir, without suffix>/. `bound` None picks each
    video's bound from its own flow (`auto_bound`, nothing clipped); a number clips at it and the
    result says how much was clipped. `workers` > 1 extracts videos in parallel processes;
    `progress` is called with each finished video. `anet_frames.json` records every video's frame
    rate and bound (which `FrameFolderDataset` reads), and the common ones where all videos agree.
    """
    video_dir, out_dir = Path(video_dir), Path(out_dir)
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if bound is not None and not bound > 0:
        raise ValueError(f"bound must be positive, got {bound}")
    FlowEstimator(method)  # an unknown method fails here, before any video is read
    lists, classes = _discover(video_dir)
    base = video_dir.parent if video_dir.is_file() else video_dir
    jobs = {
        name: [
            (_Job(v, out_dir / v.relative_to(base).with_suffix(""), fps, size, bound, method), label)
            for v, label in videos
        ]
        for name, videos in lists.items()
    }
    flat: Sequence[_Job] = [job for entries in jobs.values() for job, _ in entries]
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[_Job, VideoFlow] = {}
    # Spawned, not forked, workers: a child forked from a process whose torch thread pool has run can hang.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) if workers > 1 else nullcontext() as pool:
        done = pool.map(_run, flat) if pool is not None else map(_run, flat)
        for job, result in zip(flat, done, strict=True):
            results[job] = result
            if progress is not None:
                progress(result)
    written = []
    for name, entries in jobs.items():
        records = [
            FrameRecord(job.out.relative_to(out_dir).as_posix(), results[job].frames, (str(label),))
            for job, label in entries
        ]
        write_frame_list(out_dir / f"{name}.txt", records)
        written.append(out_dir / f"{name}.txt")
    if classes:
        (out_dir / "classes.txt").write_text("".join(c + "\n" for c in classes), encoding="utf-8")
    videos = list(results.values())
    rates, bounds = {v.fps for v in videos}, {v.bound for v in videos}
    info = {
        "fps": rates.pop() if len(rates) == 1 else None,
        "size": size,
        "bound": bounds.pop() if len(bounds) == 1 else None,
        "method": method,
        "videos": {
            v.folder.relative_to(out_dir).as_posix(): {
                "fps": v.fps,
                "bound": v.bound,
                "largest_motion": round(v.largest_motion, 3),
                "clipped_fraction": v.clipped / v.values if v.values else 0.0,
            }
            for v in videos
        },
    }
    (out_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return FlowExtraction(written, videos)
