"""Learned connection weights written into a network, as an .anet file holds them.

Training learns a sigmoid weight per edge of every multi-input block, in float32. The language
accepts weights strictly inside (0, 1) (`anet.dsl.values.EdgeWeight`), but a sigmoid saturates in
float32 to exactly 0.0 or 1.0; such a weight is written just inside the interval instead, so that
every network a run learned (`learned.anet`, a search's candidate files) reads back.

AssembleNet++ peer attention also learns softmax weights over a block's peers. The model learns
one softmax per connection (as the authors' TF1 code does); the file holds one list per block,
the mean over its connections (the generated module's `peer_weights()`), which is again a
probability distribution and, read back, is every connection's starting point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .ast import Block, Network

# What a sigmoid that saturated in float32 (to exactly 0.0 or 1.0) is written as.
SATURATED = (float(np.float32(1e-6)), float(np.nextafter(np.float32(1), np.float32(0))))


def file_weight(weight: float) -> float:
    """A learned weight as its file holds it: rounded to float32 as the parser would, a saturated
    one moved just inside (0, 1)."""
    value = float(np.float32(weight))
    return SATURATED[0] if value <= 0.0 else SATURATED[1] if value >= 1.0 else value


def file_peer_weight(weight: float) -> float:
    """A learned peer weight as its file holds it: rounded to float32, one that underflowed to 0
    written as the smallest edge weight instead (log 0 is no logit)."""
    value = float(np.float32(weight))
    return value if value > 0.0 else SATURATED[0]


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


def with_learned_peer_weights(network: Network, weights: Mapping[str, Sequence[float]]) -> Network:
    """`network` with every block in `weights` (by node id, in the order of `Network.peers_of`)
    listing its peers with the softmax weights training learned: a block that had every node below
    as its peers by default gets that list written out."""
    nodes = tuple(
        node.model_copy(
            update={
                "peers": tuple(
                    p.model_copy(update={"weight": file_peer_weight(w)})
                    for p, w in zip(network.peers_of(node), weights[node.id], strict=True)
                )
            }
        )
        if isinstance(node, Block) and node.id in weights
        else node
        for node in network.nodes
    )
    return network.model_copy(update={"nodes": nodes})
