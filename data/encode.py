"""Writing videos with PyAV: uint8 frames to mp4, avi, webm, mkv.

The data pipeline only reads video; writing is for making test and benchmark inputs (segments of real
videos, synthetic motion with known flow) and for exporting proxy clips as ordinary video files.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# The encoder each container gets unless told otherwise: widely readable choices.
DEFAULT_CODECS = {".mp4": "libx264", ".mov": "libx264", ".mkv": "libx264", ".avi": "mpeg4", ".webm": "libvpx"}


def encoder_available(codec: str) -> bool:
    """Whether this PyAV build can encode with `codec` (wheels differ: libvpx or libx264 may be absent)."""
    try:
        av.codec.Codec(codec, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def write_video(
    path: str | Path,
    frames: np.ndarray,
    *,
    fps: float = 25.0,
    codec: str | None = None,
    gop: int | None = None,
    crf: int = 8,
    bit_rate: int = 4_000_000,
) -> Path:
    """Encode uint8 RGB frames [T, H, W, 3] (even H and W) to `path`.

    Args:
        fps: frame rate written into the file.
        codec: encoder; default by suffix from DEFAULT_CODECS.
        gop: frames between keyframes (None: the encoder's default); small values make seeking matter.
        crf: libx264 quality, 0 (lossless) to 51; the default 8 is near-lossless (test inputs whose
            pixels should survive), 23 is FFmpeg's default and typical of prepared datasets.
        bit_rate: for the encoders without a quality mode (mpeg4, libvpx).
    """
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames [T, H, W, 3], got {frames.dtype} {tuple(frames.shape)}")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"yuv420p video needs even height and width, got {frames.shape[1]}x{frames.shape[2]}")
    codec = codec or DEFAULT_CODECS.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"no default encoder for {path.suffix!r}; pass codec= (one of {DEFAULT_CODECS})")
    if not encoder_available(codec):
        raise ValueError(f"this PyAV build has no {codec!r} encoder")
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"crf": str(crf)} if codec == "libx264" else {}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001), options=options)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if codec != "libx264":
            stream.bit_rate = bit_rate
        if gop is not None:
            stream.codec_context.gop_size = gop
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path
