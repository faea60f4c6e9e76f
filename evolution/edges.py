"""Edge operators: the paper's connection-learning-guided mutation (equation 2) and the baselines'
random edge changes.

Equation (2): the child keeps the parent edges whose learned weight W_e exceeds B (a constant b,
or drawn from U(0, 1) for every edge), and adds every absent allowed edge independently with
probability |E_p - E_c1| / |E* - E_p|, so that in expectation it adds as many edges as it dropped.

Edges without a learned weight: a block's only input has none (a single input is not gated) and is
always kept, since dropping it would leave the block without input; in a parent that was never
trained every edge counts as 0.5, the sigmoid of the weights' zero-mean initialisation.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .arch import Arch, EdgeKey

UNTRAINED_WEIGHT = 0.5


def edge_weight(arch: Arch, edge: EdgeKey) -> float:
    """The learned weight of an input of a multi-input block (a single input has none: equation
    (2) keeps it outright), or the untrained one."""
    weight = arch.edges[edge]
    return UNTRAINED_WEIGHT if weight is None else weight


def guided_edges(arch: Arch, rng: np.random.Generator, *, threshold: float | None = None) -> tuple[int, int, int]:
    """Equation (2) in place. `threshold` is b; None draws B ~ U(0, 1) per edge. Returns
    (kept, dropped, added)."""
    parent = list(arch.edges)
    allowed = arch.allowed_edges()
    absent = [e for e in allowed if e not in arch.edges]
    draws = rng.random(len(parent))
    fan_in = Counter(block for _, block in parent)
    kept = [
        e
        for e, x in zip(parent, draws, strict=True)
        # a single input is kept outright (ungated, it has no weight; without it the block has no input)
        if fan_in[e[1]] == 1 or edge_weight(arch, e) > (threshold if threshold is not None else x)
    ]
    dropped = len(parent) - len(kept)
    p_add = dropped / len(absent) if absent else 0.0
    added = [e for e, x in zip(absent, rng.random(len(absent)), strict=True) if x < p_add]
    kept_set = set(kept)
    arch.edges = {e: w for e, w in arch.edges.items() if e in kept_set}
    for e in added:
        arch.edges[e] = None
    return len(kept), dropped, len(added)


def random_edges(arch: Arch, rng: np.random.Generator, *, fraction: float = 1 / 3) -> tuple[int, int, int]:
    """The 'standard evolution' baseline: replace `fraction` of the edges by random absent ones.
    Returns (kept, dropped, added)."""
    parent = list(arch.edges)
    count = min(round(len(parent) * fraction), len(parent))
    absent = [e for e in arch.allowed_edges() if e not in arch.edges]
    dropped = [parent[i] for i in rng.choice(len(parent), size=count, replace=False)] if count else []
    count_add = min(count, len(absent))
    added = [absent[i] for i in rng.choice(len(absent), size=count_add, replace=False)] if count_add else []
    for e in dropped:
        del arch.edges[e]
    for e in added:
        arch.edges[e] = None
    return len(parent) - len(dropped), len(dropped), len(added)


def connect_randomly(arch: Arch, rng: np.random.Generator, *, p: float = 0.5) -> int:
    """Initial architectures: every allowed edge independently with probability p."""
    arch.edges = {}
    for e, x in zip(arch.allowed_edges(), rng.random(len(arch.allowed_edges())), strict=True):
        if x < p:
            arch.edges[e] = None
    return len(arch.edges)


def clear_weights(arch: Arch) -> None:
    """A child's weights are learned anew; inherited ones would describe another network."""
    arch.edges = dict.fromkeys(arch.edges)
