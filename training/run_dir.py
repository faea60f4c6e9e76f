"""What a training run directory holds besides its description (`run.json`, anet.training.run_info):
its checkpoints by name, and the learned connection weights written back into the architecture
(`learned.anet`, renderable and trainable like any .anet file). A run is loaded as a model by
anet.training.trained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from ..dsl import Network, format_network, with_learned_weights
from ..dsl.learned import with_learned_peer_weights
from ..files import write_atomic
from .checkpoint import CHECKPOINT, CheckpointError
from .run_info import LEARNED_FILE

BEST_CHECKPOINT = "best.pt"
Which = Literal["last", "best"]


def checkpoint_file(run_dir: Path, which: Which | str | Path = "last") -> Path:
    """`last` (checkpoint.pt, what --resume continues), `best` (best.pt, with `--keep best`) or a path."""
    if which == "last":
        return run_dir / CHECKPOINT
    if which == "best":
        path = run_dir / BEST_CHECKPOINT
        if not path.is_file():
            raise CheckpointError(f"{run_dir} has no {BEST_CHECKPOINT}: it was trained without --keep best")
        return path
    return Path(which)


def write_learned(
    run_dir: Path,
    network: Network,
    weights: Mapping[str, Sequence[float]],
    peer_weights: Mapping[str, Sequence[float]] | None = None,
) -> Path:
    """`learned.anet`: the trained architecture with its learned connection weights (and peer
    weights, with peer attention), as the search writes its candidates' (anet.dsl.learned)."""
    path = run_dir / LEARNED_FILE
    learned = with_learned_peer_weights(with_learned_weights(network, weights), peer_weights or {})
    write_atomic(path, format_network(learned))
    return path
