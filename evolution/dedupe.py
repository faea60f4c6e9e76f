"""Equivalent graphs are trained once: a child whose architecture hash matches an evaluated
candidate takes that candidate's fitness, and its learned weights (connection and peer weights)
moved onto the child's own node ids through a graph isomorphism (the two files may name and order
nodes differently)."""

from __future__ import annotations

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from ..dsl import Block, Network


def _labelled(network: Network) -> nx.DiGraph:
    """Nodes are numbered in file order: the matcher iterates over a set of the nodes, and for
    graphs with symmetries (two interchangeable stems) the isomorphism it finds first depends on
    that order. A set of strings is ordered by the per-process hash seed, so the learned weights
    a twin takes would differ between a run and its resume in another process; ints hash alike
    in every process. A block's attention joins its label and a peer is an edge of its own kind
    (as in the architecture hash); without attention, the graph is what it was before."""
    index = {node.id: i for i, node in enumerate(network.nodes)}
    g = nx.DiGraph()
    for node in network.nodes:
        mode = network.attention_of(node) if isinstance(node, Block) else "none"
        g.add_node(index[node.id], label=node.label if mode == "none" else f"{node.label}:attention-{mode}")
    for block in network.blocks:
        for edge in block.inputs:
            g.add_edge(index[edge.source], index[block.id], input=True, peer=False)
        for peer in network.peers_of(block):
            if g.has_edge(index[peer.source], index[block.id]):
                g.edges[index[peer.source], index[block.id]]["peer"] = True
            else:
                g.add_edge(index[peer.source], index[block.id], input=False, peer=True)
    return g


def _to_source(source: Network, target: Network) -> dict[str, str] | None:
    """Target node id -> source node id under an isomorphism; None when the two graphs turn out not
    to be isomorphic after all (a hash collision)."""
    matcher = DiGraphMatcher(
        _labelled(target),
        _labelled(source),
        node_match=lambda a, b: a["label"] == b["label"],
        edge_match=lambda a, b: a == b,
    )
    if not matcher.is_isomorphic():
        return None
    source_ids = [node.id for node in source.nodes]
    return {target.nodes[t].id: source_ids[u] for t, u in matcher.mapping.items()}


def transfer_weights(source: Network, weights: dict[str, list[float]], target: Network) -> dict[str, list[float]]:
    """`weights` (per block of `source`, in its input order) re-keyed for `target`; {} when the two
    graphs turn out not to be isomorphic after all (a hash collision)."""
    to_source = _to_source(source, target)
    if to_source is None:
        return {}
    by_edge = {
        (e.source, b.id): w
        for b in source.blocks
        if b.id in weights
        for e, w in zip(b.inputs, weights[b.id], strict=True)
    }
    out = {}
    for block in target.blocks:
        if len(block.inputs) > 1:
            out[block.id] = [by_edge[(to_source[e.source], to_source[block.id])] for e in block.inputs]
    return out


def transfer_peer_weights(
    source: Network, peer_weights: dict[str, list[float]], target: Network
) -> dict[str, list[float]]:
    """`peer_weights` (per peer-attention block of `source`, in its peer order) re-keyed for
    `target`, as `transfer_weights` does for connections."""
    to_source = _to_source(source, target) if peer_weights else None
    if to_source is None:
        return {}
    by_peer = {
        (p.source, b.id): w
        for b in source.blocks
        if b.id in peer_weights
        for p, w in zip(source.peers_of(b), peer_weights[b.id], strict=True)
    }
    return {
        block.id: [by_peer[(to_source[p.source], to_source[block.id])] for p in target.peers_of(block)]
        for block in target.blocks
        if to_source[block.id] in peer_weights
    }
