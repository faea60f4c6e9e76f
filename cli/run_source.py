"""What `anet eval` is given: a run directory (`anet train --out`), which holds everything, or an
.anet file with `--checkpoint`, as before run directories existed (loaded by anet.training.trained)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .app import CommandFailed
from .language import read_network

if TYPE_CHECKING:
    from ..training.trained import TrainedRun


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
