"""Equivalent graphs are trained once: a child whose architecture hash matches an evaluated
candidate takes that candidate's fitness, and its learned weights moved onto the child's own node
ids through a graph isomorphism (the two files may name and order nodes differently)."""

from __future__ import annotations

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from anet.dsl import Network, Stem


def _labelled(network: Network) -> nx.DiGraph:
    g = nx.DiGraph()
    for node in network.nodes:
        label = (
            (node.modality, node.channels, node.r)
            if isinstance(node, Stem)
            else (node.level, node.channels, node.r, node.stride)
        )
        g.add_node(node.id, label=label)
    for block in network.blocks:
        for edge in block.inputs:
            g.add_edge(edge.source, block.id)
    return g


def transfer_weights(source: Network, weights: dict[str, list[float]], target: Network) -> dict[str, list[float]]:
    """`weights` (per block of `source`, in its input order) re-keyed for `target`; {} when the two
    graphs turn out not to be isomorphic after all (a hash collision)."""
    matcher = DiGraphMatcher(_labelled(target), _labelled(source), node_match=lambda a, b: a["label"] == b["label"])
    if not matcher.is_isomorphic():
        return {}
    to_source = matcher.mapping  # target id -> source id
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
