"""A training run directory as one thing to use: the trained model with its weights and class names
(`load_run`), and the learned connection weights written back into the architecture
(`learned.anet`, renderable and trainable like any .anet file).

    model, info = load_run("runs/t1")          # eval mode, on the CPU
    info.classes[model(clip).argmax()]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from torch import nn

from ..dsl import Network, format_network, parse
from ..files import write_atomic
from .checkpoint import CHECKPOINT, CheckpointError, load_checkpoint, load_model_state
from .run_info import LEARNED_FILE, RunInfo, read_run_info

BEST_CHECKPOINT = "best.pt"
Which = Literal["last", "best"]


@dataclass(frozen=True)
class LoadedRun:
    """What `load_run` read besides the model: the run's description, the network it trained and
    the checkpoint file the weights came from."""

    info: RunInfo
    network: Network
    text: str
    checkpoint: Path


def checkpoint_file(run_dir: Path, which: Which | str = "last") -> Path:
    """`last` (checkpoint.pt, what --resume continues), `best` (best.pt, with `--keep best`) or a path."""
    if which == "last":
        return run_dir / CHECKPOINT
    if which == "best":
        path = run_dir / BEST_CHECKPOINT
        if not path.is_file():
            raise CheckpointError(f"{run_dir} has no {BEST_CHECKPOINT}: it was trained without --keep best")
        return path
    return Path(which)


def read_run(run_dir: str | Path, checkpoint: Which | str = "last") -> LoadedRun:
    """The run's description and network, and which checkpoint to load (not loaded yet)."""
    run_dir = Path(run_dir)
    info, text = read_run_info(run_dir)
    path = checkpoint_file(run_dir, checkpoint)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist (the run has not written a checkpoint yet)")
    return LoadedRun(info=info, network=parse(text, str(run_dir / info.network_file)), text=text, checkpoint=path)


def build_run_model(run: LoadedRun) -> nn.Module:
    """The run's network at its trained width and class count, with the checkpoint's weights, in
    eval mode."""
    from ..compiler import compile_to_module

    state = load_checkpoint(run.checkpoint)
    if state["architecture"] != run.info.architecture:
        raise CheckpointError(
            f"{run.checkpoint} holds another architecture than {run.info.network_file} "
            f"(hash {state['architecture']}, not {run.info.architecture})"
        )
    module = compile_to_module(run.network, run.text, run.info.network_file)
    model = module.build_model(num_classes=run.info.num_classes, width=run.info.resolved.width)
    load_model_state(model, state, run.checkpoint)
    return model.eval()


def load_run(run_dir: str | Path, checkpoint: Which | str = "last") -> tuple[nn.Module, RunInfo]:
    """(model with the trained weights, in eval mode on the CPU, and the run's `RunInfo`: class
    names in `info.classes`, clip shape in `info.resolved`)."""
    run = read_run(run_dir, checkpoint)
    return build_run_model(run), run.info


def with_learned_weights(network: Network, weights: dict[str, list[float]]) -> Network:
    """`network` with every multi-input block's edges carrying the weights training learned."""
    from ..evolution.store import file_weight  # float32, saturated values kept inside (0, 1)

    nodes = tuple(
        node.model_copy(
            update={
                "inputs": tuple(
                    e.model_copy(update={"weight": file_weight(w)})
                    for e, w in zip(node.inputs, weights[node.id], strict=True)
                )
            }
        )
        if node.id in weights
        else node
        for node in network.nodes
    )
    return network.model_copy(update={"nodes": nodes})


def write_learned(run_dir: Path, network: Network, weights: dict[str, list[float]]) -> Path:
    """`learned.anet`: the trained architecture with its learned connection weights."""
    path = run_dir / LEARNED_FILE
    write_atomic(path, format_network(with_learned_weights(network, weights)))
    return path
