"""Equivalent graphs are trained once: a child whose architecture hash matches an evaluated
candidate takes that candidate's fitness, and its learned weights moved onto the child's own node
ids through a graph isomorphism (the two files may name and order nodes differently)."""

from __future__ import annotations

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from ..dsl import Network


def _labelled(network: Network) -> nx.DiGraph:
    """Nodes are numbered in file order: the matcher iterates over a set of the nodes, and for
    graphs with symmetries (two interchangeable stems) the isomorphism it finds first depends on
    that order. A set of strings is ordered by the per-process hash seed, so the learned weights
    a twin takes would differ between a run and its resume in another process; ints hash alike
    in every process."""
    index = {node.id: i for i, node in enumerate(network.nodes)}
    g = nx.DiGraph()
    for node in network.nodes:
        g.add_node(index[node.id], label=node.label)
    for block in network.blocks:
        for edge in block.inputs:
            g.add_edge(index[edge.source], index[block.id])
    return g


def transfer_weights(source: Network, weights: dict[str, list[float]], target: Network) -> dict[str, list[float]]:
    """`weights` (per block of `source`, in its input order) re-keyed for `target`; {} when the two
    graphs turn out not to be isomorphic after all (a hash collision)."""
    matcher = DiGraphMatcher(_labelled(target), _labelled(source), node_match=lambda a, b: a["label"] == b["label"])
    if not matcher.is_isomorphic():
        return {}
    source_ids = [node.id for node in source.nodes]
    to_source = {target.nodes[t].id: source_ids[u] for t, u in matcher.mapping.items()}  # target id -> source id
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
