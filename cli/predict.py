"""`anet predict RUN_DIR VIDEO...`: class names and scores for video files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..training.config import TrainConfig
from .app import anet
from .options import config_option


@anet.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("videos", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--top", default=5, show_default=True, type=click.IntRange(min=1), help="Classes shown per video.")
@click.option(
    "--clips",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Clips per video at evenly spaced positions, scores averaged (1: the centred clip `anet eval` scores).",
)
@click.option("--checkpoint", default="last", show_default=True, help="last, best, or a checkpoint file.")
@click.option("--frames", type=click.IntRange(min=1), help="Clip length (default: the run's).")
@click.option("--size", type=click.IntRange(min=8), help="Clip size (default: the run's).")
@config_option(
    "--precision",
    defaults=TrainConfig,
    default=None,
    help="As `anet train --precision` (default: what the run trained with).",
)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ... (or auto).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one object."
)
def predict(
    run_dir: str,
    videos: tuple[str, ...],
    top: int,
    clips: int,
    checkpoint: str,
    frames: int | None,
    size: int | None,
    precision: str | None,
    device: str,
    fmt: str,
) -> None:
    """Classify VIDEOs with a trained run: decode, sample clips as evaluation does, print the classes.

    Each video gives --clips clips of the run's frames, rate and size (short side resized, centre
    crop); their softmax scores are averaged (sigmoid scores max-pooled for multi-label runs)."""
    from ..training.device import placement
    from ..training.predict_video import clip_config, predict_videos
    from ..training.speed_choice import network_probe
    from ..training.trained import load_run_dir

    run = load_run_dir(run_dir, checkpoint)
    info = run.info
    assert info is not None  # read from the directory's run.json
    model = run.model()
    clip = clip_config(info, frames=frames, size=size)
    probe = network_probe(model, run.network, "inference", batch=clips, frames=clip.frames, size=clip.size)
    place = placement(TrainConfig(device=device, precision=precision or info.config.precision), probe=probe)
    model.to(place.device)
    results = predict_videos(
        model, run.network, info, [Path(v) for v in videos], place, top=top, clips=clips, frames=frames, size=size
    )
    if fmt == "json":
        click.echo(json.dumps({"run": run_dir, "predictions": [r.as_dict() for r in results]}, indent=1))
        return
    for result in results:
        click.echo(result.video)
        for name, score in zip(result.classes, result.scores, strict=True):
            click.echo(f"  {score:7.4f}  {name}")
