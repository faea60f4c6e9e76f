"""A canonical architecture hash: the same graph written with other ids or in another order gets
the same key, so the search never trains one architecture twice (NAS-Bench-101 does the same).

What counts: each node's kind, modality or level, C, r and stride, the edges, and the header
settings that change the network's function (module repeats, head pooling, flow source). What does
not: ids, order, comments, learned weights, training settings (classes, width, clip, edge mode) and
descendant metadata. The key is a Weisfeiler-Lehman hash (networkx >= 3.5, which follows in- and
out-edges of directed graphs separately) of the labelled graph. WL can in principle merge two
non-isomorphic graphs; with labels this specific that is not a practical concern for a search.
"""

from __future__ import annotations

import hashlib
import warnings
from functools import lru_cache

import networkx as nx

from anet.dsl.ast import Block, Network

HASH_LENGTH = 16


Graph = tuple[tuple[str, str, tuple[str, ...]], ...]
"""(id, label, input ids) per node: everything of a network the hash depends on, besides settings."""


def architecture_hash(network: Network) -> str:
    """The search hashes each candidate, and parsing (check of a written `hash`) and compiling hash it
    again: the WL hash is memoised on the plain tuple it depends on, which costs far less to build."""
    graph: Graph = tuple(
        (node.id, node.label, tuple(e.source for e in node.inputs) if isinstance(node, Block) else ())
        for node in network.nodes
    )
    h = network.header
    return _hash(graph, f"{h.repeats}|{h.pool}|{h.flow}")


@lru_cache(maxsize=4096)
def _hash(graph: Graph, settings: str) -> str:
    g = nx.DiGraph()
    for node_id, label, _ in graph:
        g.add_node(node_id, label=label)
    for node_id, _, sources in graph:
        for source in sources:
            g.add_edge(source, node_id)
    iterations = 6  # enough to cover the longest path (stem -> level 4 is at most 5 edges)
    with warnings.catch_warnings():
        # networkx announces that directed WL hashes changed in 3.5; we require >= 3.5.
        warnings.simplefilter("ignore", UserWarning)
        graph_key = nx.weisfeiler_lehman_graph_hash(g, node_attr="label", iterations=iterations, digest_size=16)
    return hashlib.sha256(f"{graph_key}|{settings}".encode()).hexdigest()[:HASH_LENGTH]
