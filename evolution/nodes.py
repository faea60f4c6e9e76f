"""Node operators (paper section 3.2 and appendix A.2): split, merge, and a change of temporal
resolution. Split and merge keep every level's channel sum, and with it the parameter count,
because the 3x3 widths are fixed per level; they act on blocks, not stems (the number of stems is
chosen once, 2 or 4, when an architecture is created). Peers follow the edges: a node's twin joins
every written peer list the node is on and inherits its attention and peers; a merged node takes
the peer lists' places of both and the union of their peers.
"""

from __future__ import annotations

import numpy as np

from ..dsl.constants import DILATIONS
from .arch import Arch, NodeSpec


def split(arch: Arch, node_id: str) -> tuple[str, str]:
    """Two nodes of half the channels (C//2 and C - C//2) with the same inputs, outputs, level, r,
    stride, attention and peers. The original id survives as the first half. Returns the two ids."""
    node = arch.nodes[node_id]
    if node.is_stem or not isinstance(node.channels, int) or node.channels < 2:
        raise ValueError(f"cannot split node {node_id}")
    peers = None if node.peers is None else dict.fromkeys(node.peers)
    twin = NodeSpec(
        arch.new_id(),
        node.level,
        node.channels - node.channels // 2,
        node.r,
        node.stride,
        attention=node.attention,
        peers=peers,
    )
    node.channels //= 2
    arch.nodes[twin.id] = twin
    for other in arch.nodes.values():
        if other.peers is not None and node_id in other.peers:
            other.peers[twin.id] = None
    for source in arch.inputs(node_id):
        arch.edges[(source, twin.id)] = None
    for target in arch.outputs(node_id):
        arch.edges[(twin.id, target)] = None
    return node_id, twin.id


def merge(arch: Arch, first: str, second: str, rng: np.random.Generator) -> str:
    """One node with C = C1 + C2, the union of both nodes' inputs and outputs, and r (and stride)
    from one of the two at random. The first id survives, with its attention; when both listen to
    written peers, it listens to all of them. Returns it."""
    a, b = arch.nodes[first], arch.nodes[second]
    lite = not isinstance(a.channels, int) or not isinstance(b.channels, int)
    if a.is_stem or b.is_stem or a.level != b.level or first == second or lite:
        raise ValueError(f"cannot merge nodes {first} and {second}")
    a.channels += b.channels
    pick = rng.random(2)
    if pick[0] < 0.5:
        a.r = b.r
    if pick[1] < 0.5:
        a.stride = b.stride
    for source in arch.inputs(second):
        arch.edges.setdefault((source, first), None)
    for target in arch.outputs(second):
        arch.edges.setdefault((first, target), None)
    arch.edges = {e: w for e, w in arch.edges.items() if second not in e}
    if arch.attention_of(first) == "peer" and arch.attention_of(second) == "peer":
        a.peers = None if a.peers is None or b.peers is None else dict.fromkeys([*a.peers, *b.peers])
    del arch.nodes[second]
    for other in arch.nodes.values():
        if other.peers is not None and second in other.peers:
            del other.peers[second]
            other.peers.setdefault(first, None)
    return first


def change_dilation(arch: Arch, node_id: str, rng: np.random.Generator) -> int:
    """A different temporal dilation r for a block or an RGB stem. Returns the new r."""
    node = arch.nodes[node_id]
    choices = [r for r in DILATIONS if r != node.r]
    node.r = int(choices[int(rng.integers(len(choices)))])
    return node.r


def splittable(arch: Arch) -> list[str]:
    """Bottleneck blocks of C >= 2 (a lite block's filter triple is not split: no rule for it)."""
    return [n.id for n in arch.blocks() if isinstance(n.channels, int) and n.channels >= 2]


def mergeable(arch: Arch) -> list[tuple[str, str]]:
    """Pairs of bottleneck blocks on one level (lite blocks are not merged, as they are not split)."""
    blocks = [n for n in arch.blocks() if isinstance(n.channels, int)]
    return [(a.id, b.id) for i, a in enumerate(blocks) for b in blocks[i + 1 :] if a.level == b.level]


def dilatable(arch: Arch) -> list[str]:
    return [n.id for n in arch.nodes.values() if not n.is_stem or n.modality == "rgb"]
