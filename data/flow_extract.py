"""Offline TV-L1 optical flow: videos in, mmaction2 rawframe folders out (see `frames.py`).

The official AssembleNet computes flow inside the model (a TV-L1 layer in tensor operations); other
two-stream toolkits precompute it once with OpenCV's TV-L1 and store 8-bit images clipped to +-20 px.
This module writes that format so the same data can feed both kinds of models. The TV-L1 parameters
are OpenCV's defaults, which match the official layer's (tau 0.25, lambda 0.15, theta 0.3).

Input layouts (the class-folder layouts of `layouts.py`):
    video_dir/<video>.mp4                     -> out_dir/list.txt, label 0
    video_dir/<class>/<video>.mp4             -> out_dir/list.txt, labels = sorted class index
    video_dir/<split>/<class>/<video>.mp4     -> out_dir/<split>_list.txt per split
Class names in label order go to out_dir/classes.txt; the frame rate, size and bound to
out_dir/anet_frames.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anet.data.decode import VIDEO_SUFFIXES, VideoReader
from anet.data.frames import (
    FLOW_BOUND,
    FLOW_TEMPLATE,
    IMAGE_TEMPLATE,
    INFO_FILE,
    FrameRecord,
    encode_flow,
    require_cv2,
    write_frame_list,
)
from anet.data.layouts import (
    SPLIT_ALIASES,
    LayoutError,
    find_videos,
    folder_classes,
    has_split_folders,
    split_folder,
)


@dataclass(frozen=True)
class _Job:
    video: Path
    out: Path
    fps: float | None
    size: int | None
    bound: float


def tvl1_flow(previous: np.ndarray, following: np.ndarray, *, algorithm: object | None = None) -> np.ndarray:
    """TV-L1 flow from one uint8 grayscale frame to the next, float32 [H, W, 2] in pixels (x, y)."""
    cv2 = require_cv2()
    algorithm = algorithm or cv2.optflow.DualTVL1OpticalFlow_create()
    return algorithm.calc(previous, following, None)


def extract_video(
    video: str | Path,
    out: str | Path,
    *,
    fps: float | None = None,
    size: int | None = None,
    bound: float = FLOW_BOUND,
) -> tuple[int, float]:
    """Frames and flow images of one video into folder `out`; returns (frame count, frame rate).

    Args:
        fps: resample to this rate first (None: every frame); flow is then between resampled frames.
        size: scale the short side down to this many pixels first (never up).
        bound: flow magnitude (px) that maps to 0 and 255.
    """
    cv2 = require_cv2()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    algorithm = cv2.optflow.DualTVL1OpticalFlow_create()
    previous: np.ndarray | None = None
    count = 0
    with VideoReader(video, threads=0) as reader:
        rate = fps or reader.info.fps
        for count, rgb in enumerate(reader.frames(fps=fps, short_side=size), start=1):
            cv2.imwrite(str(out / IMAGE_TEMPLATE.format(count)), rgb[:, :, ::-1])
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            if previous is not None:
                flow = encode_flow(tvl1_flow(previous, gray, algorithm=algorithm), bound=bound)
                cv2.imwrite(str(out / FLOW_TEMPLATE.format("x", count - 1)), flow[..., 0])
                cv2.imwrite(str(out / FLOW_TEMPLATE.format("y", count - 1)), flow[..., 1])
            previous = gray
    if count == 0:
        raise LayoutError(f"{video} has no frames")
    return count, rate


def _run(job: _Job) -> tuple[int, float]:
    return extract_video(job.video, job.out, fps=job.fps, size=job.size, bound=job.bound)


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


def extract_flow(
    video_dir: str | Path,
    out_dir: str | Path,
    *,
    fps: float | None = None,
    size: int | None = None,
    bound: float = FLOW_BOUND,
    workers: int = 1,
) -> list[Path]:
    """Extract frames and TV-L1 flow of every video under `video_dir` into rawframe folders.

    Each video goes to out_dir/<path relative to video_dir, without suffix>/. Returns the list files
    written (one per split). `workers` > 1 extracts videos in parallel processes. The frame rate
    recorded for `FrameFolderDataset` is `fps`, or the videos' own rate when they all share one.
    """
    video_dir, out_dir = Path(video_dir), Path(out_dir)
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    lists, classes = _discover(video_dir)
    base = video_dir.parent if video_dir.is_file() else video_dir
    jobs = {
        name: [(_Job(v, out_dir / v.relative_to(base).with_suffix(""), fps, size, bound), label) for v, label in videos]
        for name, videos in lists.items()
    }
    flat: Sequence[_Job] = [job for entries in jobs.values() for job, _ in entries]
    out_dir.mkdir(parents=True, exist_ok=True)
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = dict(zip(flat, pool.map(_run, flat), strict=True))
    else:
        results = {job: _run(job) for job in flat}
    written = []
    for name, entries in jobs.items():
        records = [
            FrameRecord(job.out.relative_to(out_dir).as_posix(), results[job][0], (str(label),))
            for job, label in entries
        ]
        write_frame_list(out_dir / f"{name}.txt", records)
        written.append(out_dir / f"{name}.txt")
    if classes:
        (out_dir / "classes.txt").write_text("".join(c + "\n" for c in classes), encoding="utf-8")
    rates = {rate for _, rate in results.values()}
    info = {"fps": rates.pop() if len(rates) == 1 else None, "size": size, "bound": bound}
    (out_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return written
