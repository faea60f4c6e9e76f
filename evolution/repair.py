"""Making a mutated graph valid again instead of throwing it away: every block gets an input and
every node a path to a level-4 block, by adding random allowed edges (never by removing any), so
the operator's intent survives. The search never writes an invalid child."""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..paper import edge_allowed
from .arch import Arch


def repair(arch: Arch, rng: np.random.Generator) -> int:
    """Add the edges the graph needs; returns how many were added."""
    added = 0
    for block in arch.blocks():
        if not arch.inputs(block.id):
            sources = [n.id for n in arch.nodes.values() if edge_allowed(n.level, block.level)]
            arch.edges[(sources[int(rng.integers(len(sources)))], block.id)] = None
            added += 1
    top = {n.id for n in arch.nodes.values() if n.level == 4}
    for level in (3, 2, 1, 0):
        g = arch.graph()
        alive = set(top)
        for t in top:
            alive |= nx.ancestors(g, t)
        targets = sorted(
            (n.id for n in arch.nodes.values() if edge_allowed(level, n.level) and n.id in alive),
            key=list(arch.nodes).index,
        )
        for node in [n for n in arch.nodes.values() if n.level == level and n.id not in alive]:
            arch.edges[(node.id, targets[int(rng.integers(len(targets)))])] = None
            added += 1
    return added
