"""What a network costs to run: its parameters and FLOPs per node (`anet info`), measured on the
compiled model rather than derived from the .anet file, so that they count what the compiler
actually built; and its deployment cost, the latency of what `anet predict` runs at a deploy target
(the search's objectives rank candidates by it).

    from anet.cost import summarize
    rows = summarize(network, text, frames=8, size=112)      # NodeCost(node, kind, parameters, flops)

    from anet.cost import DeployTarget, measure_cost
    cost = measure_cost(text, DeployTarget.from_shape("32x224"))  # Cost(latency_ms, runs_ms, params, flops, ...)
    cost.latency_ms, cost.spread_ms, cost.gflops, cost.device

Names load lazily (PEP 562): the search's configuration holds a `DeployTarget` and must not pull in
torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DeployTarget": "anet.cost.deploy",
    "NodeCost": "anet.cost.flops",
    "summarize": "anet.cost.flops",
    "Cost": "anet.cost.record",
    "measure_cost": "anet.cost.latency",
    "synthetic_cost": "anet.cost.latency",
    "summary_table": "anet.cost.table",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'anet.cost' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
