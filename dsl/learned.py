"""Learned connection weights written into a network, as an .anet file holds them.

Training learns a sigmoid weight per edge of every multi-input block, in float32. The language
accepts weights strictly inside (0, 1) (`anet.dsl.values.EdgeWeight`), but a sigmoid saturates in
float32 to exactly 0.0 or 1.0; such a weight is written just inside the interval instead, so that
every network a run learned (`learned.anet`, a search's candidate files) reads back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .ast import Network

# What a sigmoid that saturated in float32 (to exactly 0.0 or 1.0) is written as.
SATURATED = (float(np.float32(1e-6)), float(np.nextafter(np.float32(1), np.float32(0))))


def file_weight(weight: float) -> float:
    """A learned weight as its file holds it: rounded to float32 as the parser would, a saturated
    one moved just inside (0, 1)."""
    value = float(np.float32(weight))
    return SATURATED[0] if value <= 0.0 else SATURATED[1] if value >= 1.0 else value


def with_learned_weights(network: Network, weights: Mapping[str, Sequence[float]]) -> Network:
    """`network` with the edges of every block in `weights` (by node id, in input order) carrying
    the weights training learned; the other nodes as they were."""
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
