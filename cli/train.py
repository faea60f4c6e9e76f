"""`anet train`, `anet eval` and `anet flow extract`: training and measuring compiled networks."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..training.config import PROXY_EDGE_LR, TrainConfig
from .app import CommandFailed, anet
from .language import FILE_ARG, read_network
from .lock import run_lock
from .options import DataSpecOption, config_option
from .run_source import load_for_eval

MAX_BAD_VIDEOS_OPTION = config_option(
    "--max-bad-videos",
    defaults=TrainConfig,
    help="Largest share of a split's videos that may be unreadable (skipped with a warning) before the run stops.",
)


def signal_options(defaults: TrainConfig, *, where: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--edge-lr` and `--bn-batches`, the two settings that give the search its signal, for `anet train`
    and `anet evolve` alike (their defaults, `TrainConfig()` and `proxy_training()`, differ)."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = config_option("--bn-batches", defaults=defaults)(command)
        return config_option(
            "--edge-lr",
            defaults=defaults,
            help=f"Learning-rate multiplier of the connection-weight logits ({where}).",
        )(command)

    return decorate


def _data(spec: str):  # noqa: ANN202 - DataSpec, imported lazily
    from ..data.spec import parse_data_spec

    return parse_data_spec(spec)  # a DataSpecError is a UserError: its message, exit 1


@anet.command()
@FILE_ARG
@click.option("--data", cls=DataSpecOption, default="proxy", show_default=True, help="Data spec.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Checkpoints, CSV and TensorBoard logs.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
@config_option("--iterations", defaults=TrainConfig)
@config_option("--batch-size", defaults=TrainConfig)
@config_option("--lr", defaults=TrainConfig, help="Peak learning rate (default 3.2 * batch / 512).")
@config_option("--warmup", defaults=TrainConfig, help="Share of iterations with linear warm-up, then cosine decay.")
@config_option("--weight-decay", defaults=TrainConfig)
@config_option("--label-smoothing", defaults=TrainConfig)
@config_option("--frames", defaults=TrainConfig, help="Clip length (default: data spec, then the file).")
@config_option("--size", defaults=TrainConfig, help="Clip size (default: data spec, then the file).")
@config_option("--width", defaults=TrainConfig, help="Channel multiplier (default: file's).")
@signal_options(TrainConfig(), where=f"the paper's recipe is 1; the search uses {PROXY_EDGE_LR:g}")
@config_option(
    "--precision",
    defaults=TrainConfig,
    help="auto: bf16 autocast on a GPU with bf16, and on a CPU with native bf16 (AVX512_BF16, AMX) where a quick "
    "probe measures it faster; fp32 otherwise. The choice and its reason are printed.",
)
@config_option("--compile", "compile_", defaults=TrainConfig, field="compile", help="torch.compile the model.")
@config_option("--device", defaults=TrainConfig, help="auto, cpu, cuda, cuda:1, ...")
@config_option("--workers", defaults=TrainConfig, help="DataLoader processes.")
@config_option("--seed", defaults=TrainConfig)
@config_option("--eval-every", defaults=TrainConfig)
# The command line checkpoints every 100 iterations, so that a stopped long run loses little; the
# Python API (the search's short proxy trainings) only at the end.
@config_option("--checkpoint-every", defaults=TrainConfig, default=100)
@config_option("--metric", defaults=TrainConfig)
@config_option(
    "--keep",
    defaults=TrainConfig,
    help="best: besides checkpoint.pt (the last state, what --resume continues) keep best.pt, the weights "
    "with the best validation --metric (validations: --eval-every and the end).",
)
@MAX_BAD_VIDEOS_OPTION
def train(
    file: str,
    data: str,
    out: str,
    resume: bool,
    iterations: int,
    batch_size: int,
    lr: float | None,
    warmup: float,
    weight_decay: float,
    label_smoothing: float,
    frames: int | None,
    size: int | None,
    width: float | None,
    edge_lr: float,
    bn_batches: int,
    precision: str,
    compile_: bool,
    device: str,
    workers: int,
    seed: int,
    eval_every: int,
    checkpoint_every: int,
    metric: str,
    keep: str,
    max_bad_videos: float,
) -> None:
    """Train FILE on data with the paper's recipe; multi-GPU / multi-node through `torchrun`.

    OUT becomes a self-contained run: the .anet text trained (network.anet), run.json (data spec,
    class names, settings, versions), checkpoints, train.csv / val.csv, TensorBoard events, and
    learned.anet (the architecture with its learned connection weights). `anet eval OUT`,
    `anet predict OUT VIDEO` and `anet export OUT` need nothing else."""
    from ..training import train as run_training
    from ..training.checkpoint import CHECKPOINT, remove_temporaries

    network, text, label = read_network(file)
    spec = _data(data)
    config = TrainConfig(
        iterations=iterations,
        batch_size=batch_size,
        lr=lr,
        warmup=warmup,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        frames=frames,
        size=size,
        width=width,
        edge_lr=edge_lr,
        bn_batches=bn_batches,
        precision=precision,
        compile=compile_,
        device=device,
        workers=workers,
        seed=seed,
        eval_every=eval_every,
        checkpoint_every=checkpoint_every,
        metric=metric,
        keep=keep,
        max_bad_videos=max_bad_videos,
    )
    out_dir = Path(out)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, only global rank 0 writes to OUT
        click.get_current_context().with_resource(run_lock(out_dir))  # held until the command ends
        remove_temporaries(out_dir)
    if not resume and (out_dir / CHECKPOINT).exists():
        raise CommandFailed(f"{out_dir} already holds a checkpoint: add --resume to continue it, or use another --out")
    result = run_training(network, text, spec, config, out_dir=out_dir, resume=resume, source_path=label)
    summary = {
        "metrics": result.metrics,
        "iterations": result.iterations,
        "seconds": round(result.seconds, 2),
        "placement": result.placement,
        "edge_weights": result.edge_weights,
    }
    (out_dir / "result.json").write_text(json.dumps(summary, indent=1) + "\n")
    click.echo(" ".join(f"{k}={v:.4f}" for k, v in result.metrics.items() if k != "samples"))


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
@MAX_BAD_VIDEOS_OPTION
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
    from ..training.batchnorm import fixed_batches, recalibrate_batchnorm
    from ..training.device import placement
    from ..training.model import batch_forward
    from ..training.summary import check_clip_flags
    from ..training.unreadable import UnreadableVideos
    from ..training.validation import evaluate as run_eval

    loaded = load_for_eval(source, checkpoint, data)
    spec = _data(loaded.data)
    check_clip_flags(spec, frames=frames, size=size)
    model = loaded.model(spec, width)
    trained = loaded.state.get("config", {})
    place = placement(TrainConfig(device=device, precision=trained.get("precision", "auto")))
    model.to(place.device)
    frames, size = frames or loaded.frames, size or loaded.size
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
        unreadable=UnreadableVideos("validation", len(dataset), max_bad_videos),  # type: ignore[arg-type]
    )
    click.echo(" ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "samples"))


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
    "layer (about as accurate, faster); dis: OpenCV DIS (fastest, least accurate). See README.",
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
