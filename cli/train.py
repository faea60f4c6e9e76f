"""`anet train`: one compiled network trained with the paper's recipe into a self-contained run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..training.config import PROXY_EDGE_LR, TrainConfig
from .app import CommandFailed, anet
from .language import FILE_ARG, read_network
from .lock import run_lock
from .options import DataSpecOption, setting, settings_options, signal_settings


@anet.command()
@FILE_ARG
@click.option("--data", cls=DataSpecOption, default="proxy", show_default=True, help="Data spec.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Checkpoints, CSV and TensorBoard logs.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt.")
@settings_options(
    TrainConfig(),
    "iterations",
    "batch_size",
    "lr",
    "warmup",
    "weight_decay",
    "label_smoothing",
    setting("frames", help="Clip length (default: data spec, then the file)."),
    setting("size", help="Clip size (default: data spec, then the file)."),
    setting("width", help="Channel multiplier (default: file's)."),
    *signal_settings(where=f"the paper's recipe is 1; the search uses {PROXY_EDGE_LR:g}"),
    setting(
        "precision",
        help="auto: bf16 autocast on a GPU with bf16, and on a CPU with native bf16 (AVX512_BF16, AMX) where a "
        "quick probe measures it faster; fp32 otherwise. The choice and its reason are printed.",
    ),
    setting("compile", help="torch.compile the model."),
    setting("device", help="auto, cpu, cuda, cuda:1, ..."),
    "workers",
    "seed",
    "eval_every",
    # The command line checkpoints every 100 iterations, so that a stopped long run loses little; the
    # Python API (the search's short proxy trainings) only at the end.
    setting("checkpoint_every", default=100),
    "metric",
    setting(
        "keep",
        help="best: besides checkpoint.pt (the last state, what --resume continues) keep best.pt, the weights "
        "with the best validation --metric (validations: --eval-every and the end).",
    ),
    "max_bad_videos",
    into="config",
)
def train(file: str, data: str, out: str, resume: bool, config: TrainConfig) -> None:
    """Train FILE on data with the paper's recipe; multi-GPU / multi-node through `torchrun`.

    OUT becomes a self-contained run: the .anet text trained (network.anet), run.json (data spec,
    class names, settings, versions), checkpoints, train.csv / val.csv, TensorBoard events, and
    learned.anet (the architecture with its learned connection weights). `anet eval OUT`,
    `anet predict OUT VIDEO` and `anet export OUT` need nothing else."""
    from ..data.spec import parse_data_spec
    from ..training import train as run_training
    from ..training.checkpoint import CHECKPOINT, remove_temporaries

    network, text, label = read_network(file)
    spec = parse_data_spec(data)  # a DataSpecError is a UserError: its message, exit 1
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
        **({"peer_weights": result.peer_weights} if result.peer_weights else {}),  # with peer attention
    }
    (out_dir / "result.json").write_text(json.dumps(summary, indent=1) + "\n")
    click.echo(" ".join(f"{k}={v:.4f}" for k, v in result.metrics.items() if k != "samples"))
