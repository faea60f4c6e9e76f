"""`anet flow extract`: optical flow precomputed into frame folders, for data read as frames."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import CommandFailed, anet


@anet.group()
def flow() -> None:
    """Optical flow utilities."""


def _bound(_ctx: click.Context, _param: click.Parameter, value: str) -> float | None:
    if value == "auto":
        return None
    try:
        bound = float(value)
    except ValueError:
        bound = float("nan")
    if not bound > 0 or bound == float("inf"):
        raise click.BadParameter(f"expected 'auto' or a positive number of pixels, got {value!r}")
    return bound


@flow.command(name="extract")
@click.argument("videos", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Frame folder root.")
@click.option("--fps", type=click.FloatRange(min=0, min_open=True), help="Resample to this rate first.")
@click.option("--size", type=click.IntRange(min=8), help="Short side of the written frames.")
@click.option(
    "--method",
    type=click.Choice(["tvl1", "pyramid", "dis"]),
    default="tvl1",
    show_default=True,
    help="tvl1: OpenCV TV-L1, 8 scales at step 0.5 (most accurate); pyramid: anet's coarse-to-fine TV-L1 "
    "layer (about as accurate, faster); dis: OpenCV DIS (fastest, least accurate). See docs/flow.md.",
)
@click.option(
    "--bound",
    default="auto",
    show_default=True,
    callback=_bound,
    help="Flow stored as 8-bit within +-bound pixels: 'auto' takes each video's largest motion (nothing "
    "clipped); a number (20 is the mmaction2 convention) clips, and the clipped fraction is reported.",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
def flow_extract(
    videos: str, output: str, fps: float | None, size: int | None, method: str, bound: float | None, workers: int
) -> None:
    """Precompute optical flow of a video file or a folder of videos into mmaction2-style frame folders
    (img_/flow_x_/flow_y_*.jpg, list files, anet_frames.json)."""
    try:
        from ..data.flow_extract import VideoFlow, extract_flow, find_videos_to_extract
    except ImportError as exc:
        raise CommandFailed(
            f"flow extraction needs OpenCV with contrib modules: pip install 'anet[flow]' ({exc})"
        ) from None
    total = find_videos_to_extract(Path(videos))
    with click.progressbar(length=total, label=f"{method} flow", file=sys.stderr) as bar:

        def done(video: VideoFlow) -> None:
            bar.update(1)
            if video.clipped:
                click.echo(
                    f"\nanet: warning: {video.folder}: {video.clipped / video.values:.2%} of flow values clipped "
                    f"at +-{video.bound:g} px (largest motion {video.largest_motion:.1f} px)",
                    err=True,
                )

        result = extract_flow(
            Path(videos), Path(output), fps=fps, size=size, bound=bound, method=method, workers=workers, progress=done
        )  # type: ignore[arg-type]
    lists = ", ".join(p.name for p in result.lists)
    click.echo(
        f"wrote {len(result.videos)} videos ({result.frames} frames) under {output} ({lists}); "
        f"largest motion {result.largest_motion:.1f} px, clipped {result.clipped_fraction:.3%} of flow values"
    )
