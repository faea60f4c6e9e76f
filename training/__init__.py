"""Training and evaluation of compiled networks on video data (the paper's recipe by default).

    from anet.training import TrainConfig, train
    result = train(network, text, parse_data_spec("proxy"), TrainConfig(iterations=300, width=0.125))
    result.metrics["fitness"], result.edge_weights

Names load lazily: `anet.training.config` (needed by the search's configuration) must not pull in
torch, which costs seconds in every process that only plans or inspects a search.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "TrainConfig": "anet.training.config",
    "TrainResult": "anet.training.loop",
    "TrainingError": "anet.training.loop",
    "train": "anet.training.loop",
    "evaluate": "anet.training.validation",
    "predict": "anet.training.validation",
    "average_precision": "anet.training.metrics",
    "mean_average_precision": "anet.training.metrics",
    "topk_correct": "anet.training.metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'anet.training' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
