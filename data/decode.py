"""Video decoding with PyAV: the frames shown at given instants, as uint8 RGB arrays.

Only what a clip needs is decoded: the reader seeks to the keyframe before the clip's first instant and
decodes until it passes the last one, so a 1 s clip from a 30 min Charades video does not decode the
other 29 min. Frames can be scaled down by libswscale while they are converted to RGB, which is far
cheaper than converting a 720p frame and resizing it afterwards.

Times are seconds from the first frame of the video stream (a stream that starts at 1.2 s in its
container still has its first frame at 0.0 here).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from ..errors import UserError

VIDEO_SUFFIXES = (".mp4", ".webm", ".avi", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg", ".ogv", ".gif")


class VideoDecodeError(UserError, RuntimeError):
    """A video could not be opened or decoded; `path` is the file (the message names it too)."""

    def __init__(self, path: str | Path, message: str) -> None:
        super().__init__(message)
        self.path = str(path)

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # picklable across DataLoader workers
        return (type(self), (self.path, str(self)))


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream.

    `duration` is in seconds and `fps` is the average frame rate; `num_frames` is None where the
    container does not store a frame count (webm, for one).
    """

    duration: float
    fps: float
    width: int
    height: int
    num_frames: int | None


def scaled_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    """(width, height) with the short side brought down to `short_side`; never scales up."""
    short = min(width, height)
    if short_side is None or short_side >= short:
        return width, height
    factor = short_side / short
    return max(1, round(width * factor)), max(1, round(height * factor))


class VideoReader:
    """An open video file. Use as a context manager, or call `close()`.

    Args:
        path: any container FFmpeg reads (mp4, avi, webm, mkv, ...).
        threads: decoder threads. 1 by default because DataLoader workers already use every core;
            0 lets FFmpeg choose (faster in a single process).
    """

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        self.path = Path(path)
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as error:
            raise VideoDecodeError(self.path, f"cannot open video {self.path}: {error}") from error
        if not self._container.streams.video:
            self._container.close()
            raise VideoDecodeError(self.path, f"{self.path} has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.codec_context.thread_count = threads
        if threads != 1:
            self._stream.thread_type = "AUTO"
        self._time_base = self._stream.time_base or Fraction(1, av.time_base)
        self._start_pts = self._stream.start_time or 0
        self.info = self._probe()

    def _probe(self) -> VideoInfo:
        stream, container = self._stream, self._container
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 25.0
        num_frames = stream.frames or None
        if stream.duration:
            duration = float(stream.duration * self._time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        elif num_frames:
            duration = num_frames / fps
        else:
            duration = 0.0
        ctx = stream.codec_context
        return VideoInfo(duration=duration, fps=fps, width=ctx.width, height=ctx.height, num_frames=num_frames)

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def read(self, times: Sequence[float] | np.ndarray, *, short_side: int | None = None) -> np.ndarray:
        """The frames shown at `times` (seconds), uint8 [T, H, W, 3] RGB.

        Each instant gets the frame nearest to it (the last frame whose timestamp is at most half a
        frame period later); instants past the end of the video get the last frame, which pads short
        videos by repetition. `short_side` scales frames down (never up) during RGB conversion.
        """
        targets = np.asarray(times, dtype=np.float64)
        if targets.ndim != 1 or targets.size == 0:
            raise ValueError(f"times must be a non-empty 1-D sequence, got shape {targets.shape}")
        size = scaled_size(self.info.width, self.info.height, short_side)
        tolerance = 0.5 / self.info.fps
        try:
            frames = self._decode(targets, size, tolerance, seek=float(targets.min()) > tolerance)
            if frames is None:  # the seek landed after the first instant (bad index): decode from the start
                frames = self._decode(targets, size, tolerance, seek=False)
        except av.FFmpegError as error:  # a truncated or damaged file fails while it is decoded
            raise VideoDecodeError(self.path, f"cannot decode video {self.path}: {error}") from error
        if frames is None:
            raise VideoDecodeError(self.path, f"{self.path} has no decodable video frames")
        return np.stack(frames)

    def _decode(
        self, targets: np.ndarray, size: tuple[int, int], tolerance: float, *, seek: bool
    ) -> list[np.ndarray] | None:
        order = np.argsort(targets, kind="stable")
        first = float(targets[order[0]])
        offset = self._start_pts + math.floor((first - tolerance) / self._time_base) if seek else self._start_pts
        self._container.seek(max(offset, self._start_pts), stream=self._stream, backward=True)
        out: list[np.ndarray | None] = [None] * len(targets)
        previous: av.VideoFrame | None = None
        previous_rgb: np.ndarray | None = None
        next_target = 0
        for counted, frame in enumerate(self._container.decode(self._stream)):
            if frame.pts is None and seek:  # without timestamps only counting from the start locates a frame
                return None
            time = self._time(frame, counted)
            while next_target < len(order) and targets[order[next_target]] + tolerance < time:
                if previous is None:
                    if seek:  # the seek overshot the first instant
                        return None
                    previous = frame  # instants before the first frame show the first frame
                if previous_rgb is None:
                    previous_rgb = _to_rgb(previous, size)
                out[order[next_target]] = previous_rgb
                next_target += 1
            if next_target == len(order):
                break
            previous, previous_rgb = frame, None
        else:
            if previous is None:
                return None
            last = previous_rgb if previous_rgb is not None else _to_rgb(previous, size)
            for slot in order[next_target:]:  # past the end: repeat the last frame
                out[slot] = last
        return out  # type: ignore[return-value]  # every slot is filled by now

    def _time(self, frame: av.VideoFrame, counted: int) -> float:
        """Seconds from the stream's start; frames without a timestamp are placed by their count."""
        if frame.pts is None:
            return counted / self.info.fps
        return float((frame.pts - self._start_pts) * self._time_base)

    def frames(self, *, fps: float | None = None, short_side: int | None = None) -> Iterator[np.ndarray]:
        """Every frame from the start, or the frames nearest to 0, 1/fps, 2/fps, ... up to the end.

        Decodes sequentially and holds one frame at a time, so whole long videos can be streamed
        (flow extraction); clips should use `read`, which seeks.
        """
        size = scaled_size(self.info.width, self.info.height, short_side)
        self._container.seek(self._start_pts, stream=self._stream, backward=True)
        decoded = self._container.decode(self._stream)
        if fps is None:
            for frame in decoded:
                yield _to_rgb(frame, size)
            return
        tolerance = 0.5 / self.info.fps
        instant = 0
        previous: av.VideoFrame | None = None
        time = 0.0
        for counted, frame in enumerate(decoded):
            time = self._time(frame, counted)
            if previous is not None and instant / fps + tolerance < time:
                rgb = _to_rgb(previous, size)
                while instant / fps + tolerance < time:
                    yield rgb
                    instant += 1
            previous = frame
        if previous is not None:  # the last frame covers the instants up to half a frame past it
            rgb = _to_rgb(previous, size)
            while instant / fps < time + tolerance - 1e-9:
                yield rgb
                instant += 1


def _to_rgb(frame: av.VideoFrame, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    if (width, height) == (frame.width, frame.height):
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="AREA")


def probe(path: str | Path) -> VideoInfo:
    """Duration, frame rate and size of a video."""
    with VideoReader(path) as reader:
        return reader.info


def read_frames(path: str | Path, times: Sequence[float] | np.ndarray, *, short_side: int | None = None) -> np.ndarray:
    """The frames of `path` shown at `times` (seconds), uint8 [T, H, W, 3] RGB; see `VideoReader.read`."""
    with VideoReader(path) as reader:
        return reader.read(times, short_side=short_side)
