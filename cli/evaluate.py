"""`anet eval`: a trained model measured on the validation split. It is given a run directory
(`anet train --out`), which holds everything, or an .anet file with `--checkpoint`, as before run
directories existed (both loaded by anet.training.trained)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..training.config import TrainConfig
from .app import CommandFailed, anet
from .language import read_network
from .options import DataSpecOption, config_option

if TYPE_CHECKING:
    from ..training.trained import TrainedRun


@anet.command(name="eval")
@click.argument("source", metavar="RUN_DIR|FILE.anet", type=click.Path(exists=True, allow_dash=True))
@click.option(
    "--checkpoint",
    help="With RUN_DIR: last (default), best, or a file. With FILE.anet: the checkpoint file (required).",
)
@click.option("--data", cls=DataSpecOption, help="Data spec (default: the one the run or checkpoint was trained on).")
@click.option("--frames", type=click.IntRange(min=1), help="Clip length; longer than training is fine (36 for MiT).")
@click.option("--size", type=click.IntRange(min=8))
@click.option(
    "--crops",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Random temporal crops per video, max-pooled (Charades: 5 crops of 128 frames).",
)
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--width", type=click.FloatRange(min=0, min_open=True), help="The width used in training.")
@click.option(
    "--bn-batches",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Re-estimate BN statistics over this many training batches first (checkpoints of short runs that "
    "were saved without it; `anet train` re-estimates them before saving).",
)
@click.option("--device", default="auto", show_default=True)
@click.option("--workers", default=0, show_default=True, type=click.IntRange(min=0))
@config_option("--max-bad-videos", defaults=TrainConfig)
def evaluate(
    source: str,
    checkpoint: str | None,
    data: str | None,
    frames: int | None,
    size: int | None,
    crops: int,
    batch_size: int,
    width: float | None,
    bn_batches: int,
    device: str,
    workers: int,
    max_bad_videos: float,
) -> None:
    """Top-1 / top-5 (single-label) or mAP (multi-label) of a trained model on the validation split.

    RUN_DIR (a folder `anet train --out` wrote) needs nothing else: architecture, data, classes, width
    and clip shape come from the run, and flags override them. FILE.anet needs --checkpoint; its data
    is the checkpoint's unless --data says otherwise."""
    from ..data.spec import parse_data_spec
    from ..training.batchnorm import fixed_batches, recalibrate_batchnorm
    from ..training.device import placement
    from ..training.model import batch_forward
    from ..training.resolve import dataset_length
    from ..training.speed_choice import network_probe
    from ..training.summary import check_clip_flags
    from ..training.unreadable import UnreadableVideos
    from ..training.validation import evaluate as run_eval

    loaded = load_for_eval(source, checkpoint, data)
    spec = parse_data_spec(loaded.data)  # a DataSpecError is a UserError: its message, exit 1
    check_clip_flags(spec, frames=frames, size=size)
    model = loaded.model(spec, width)
    trained = loaded.state.get("config", {})
    frames, size = frames or loaded.frames, size or loaded.size
    probe = (  # a checkpoint that does not say its clip shape is measured by the probe convolution
        network_probe(model, loaded.network, "inference", batch=batch_size, frames=frames, size=size)
        if frames and size
        else None
    )
    place = placement(TrainConfig(device=device, precision=trained.get("precision", "auto")), probe=probe)
    model.to(place.device)
    dataset = spec.dataset("val", frames=frames, size=size, temporal="random" if crops > 1 else None)
    if bn_batches:
        train_clips = spec.dataset("train", frames=frames, size=size)
        batches = fixed_batches(
            train_clips, batches=bn_batches, batch_size=batch_size, seed=trained.get("seed", 0), workers=workers
        )
        recalibrate_batchnorm(model, batches, batch_forward(loaded.network, place))
    metrics = run_eval(
        model,
        loaded.network,
        dataset,
        multi_label=spec.multi_label,
        batch_size=batch_size,
        place=place,
        workers=workers,
        crops=crops,
        unreadable=UnreadableVideos("validation", dataset_length(dataset), max_bad_videos),
    )
    click.echo(" ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "samples"))


def load_for_eval(source: str, checkpoint: str | None, data: str | None) -> TrainedRun:
    """RUN_DIR (with `checkpoint` last, best or a file) or FILE.anet (with `checkpoint` a file), to
    be evaluated on `data` (default: what it trained on)."""
    from ..training.checkpoint import CheckpointError  # torch: loaded by the command, not by its --help
    from ..training.trained import load_trained

    if not Path(source).is_dir():
        if checkpoint is None:
            raise CommandFailed(
                f"{source} is an .anet file: pass --checkpoint FILE (or give the run directory instead)"
            )
        if not Path(checkpoint).is_file():
            raise CommandFailed(f"--checkpoint {checkpoint} is not a file")
    run = load_trained(source, checkpoint, read=read_network)
    if not (data or run.data):
        raise CheckpointError(f"{run.checkpoint} does not say which data it was trained on: pass --data")
    return replace(run, data=data or run.data)
