"""A deterministic stand-in for a network's cost, from its architecture alone: no model built,
nothing timed. The search's own tests and `--fitness synthetic` need costs that differ between
candidates the way measured ones do (more channels, more modules, bigger clips cost more) for free;
it is not an estimate to deploy by."""

from __future__ import annotations

from ..dsl import Network, Stem

NOMINAL_FLOPS_PER_MS = 1e8  # a nominal 100 GFLOP/s, so that the stand-in's latencies read like a CPU's
STEM_IN_CHANNELS = {"rgb": 3, "flow": 2, "object": 0}  # an object stem only pools its segmentation maps


def synthetic_work(network: Network) -> tuple[int, float]:
    """(weights, multiply-adds per pixel of one input frame) of the network's main convolutions: a
    stem's 7x7 convolution at half the input's resolution, a block's modules two 1x1 convolutions of
    C x 4C each (a lite block's: C1 x C2 and C2 x C3 of its filters `[C1, C2, C3]`) at its level's
    resolution (a quarter at level 1, halved at each level above)."""
    weights, per_pixel = 0, 0.0
    width = network.header.width
    for node in network:
        if isinstance(node, Stem):
            node_weights, shrink = 7 * 7 * STEM_IN_CHANNELS[node.modality] * node.channels * width, 2
        else:
            filters = node.filters or (node.channels, 4 * node.channels, node.channels)
            module = (filters[0] * filters[1] + filters[1] * filters[2]) * width**2
            node_weights, shrink = module * network.header.repeats[node.level - 1], 4 * 2 ** (node.level - 1)
        weights += round(node_weights)
        per_pixel += node_weights / shrink**2
    return weights, per_pixel
