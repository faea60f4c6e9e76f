"""A canonical architecture hash: the same graph written with other ids or in another order gets
the same key, so the search never trains one architecture twice (NAS-Bench-101 does the same).

What counts: each node's kind, modality or level, C, r and stride, its attention, the edges and
peers, and the header settings that change the network's function (family, module repeats, head
pooling, flow source and the flow pyramid's settings). What does
not: ids, order, comments, learned weights, training settings (classes, width, clip, edge mode) and
descendant metadata. The key is a Weisfeiler-Lehman hash of the labelled graph, exactly networkx's
`weisfeiler_lehman_graph_hash` (>= 3.5, which follows in- and out-edges of directed graphs
separately), written out here because `anet check` prints the hash and importing networkx would be
most of its start-up time; tests/dsl/test_hashing.py holds the two equal. WL can in principle merge
two non-isomorphic graphs; with labels this specific that is not a practical concern for a search.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache

from .ast import Block, Network

HASH_LENGTH = 16


Graph = tuple[tuple[str, str, tuple[str, ...]], ...]
"""(id, label, input ids) per node: everything of a network the hash depends on, besides settings."""


def architecture_hash(network: Network) -> str:
    """The search hashes each candidate, and parsing (check of a written `hash`) and compiling hash it
    again: the WL hash is memoised on the plain tuple it depends on, which costs far less to build."""
    graph: list[tuple[str, str, tuple[str, ...]]] = []
    for node in network.nodes:
        if not isinstance(node, Block):
            graph.append((node.id, node.label, ()))
            continue
        mode = network.attention_of(node)
        label = node.label if mode == "none" else f"{node.label}:attention-{mode}"
        # A peer is an edge of another kind: a node of its own between peer and block keeps the hash
        # blind to ids while telling it apart from an input (`~` never occurs in an id).
        peers = tuple(f"{node.id}~{p.source}" for p in network.peers_of(node))
        graph += [(mid, "peer", (p.source,)) for mid, p in zip(peers, network.peers_of(node), strict=True)]
        graph.append((node.id, label, tuple(e.source for e in node.inputs) + peers))
    h = network.header
    pyramid = f"|{sorted(h.pyramid.settings().items())}" if h.pyramid else ""  # absent: the hash is unchanged
    family = "" if h.family == "assemblenet" else f"|{h.family}"
    return _hash(tuple(graph), f"{h.repeats}|{h.pool}|{h.flow}{pyramid}{family}")


@lru_cache(maxsize=4096)
def _hash(graph: Graph, settings: str) -> str:
    iterations = 6  # enough to cover the longest path (stem -> level 4 is at most 5 edges)
    graph_key = weisfeiler_lehman(graph, iterations=iterations)
    return hashlib.sha256(f"{graph_key}|{settings}".encode()).hexdigest()[:HASH_LENGTH]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("ascii"), digest_size=16).hexdigest()


def weisfeiler_lehman(graph: Graph, *, iterations: int) -> str:
    """networkx's directed WL graph hash (node labels, no edge labels, digest size 16) of `graph`:
    each round a node's new label hashes its label, its successors' labels (`s_`) and its
    predecessors' (`p_`), each sorted; the key hashes every round's sorted label counts."""
    labels = {node_id: label for node_id, label, _ in graph}
    edges = {(source, node_id) for node_id, _, sources in graph for source in sources}
    successors: dict[str, list[str]] = {node_id: [] for node_id in labels}
    predecessors: dict[str, list[str]] = {node_id: [] for node_id in labels}
    for source, target in edges:
        successors[source].append(target)
        predecessors[target].append(source)
    counts: list[tuple[str, int]] = []
    for _ in range(iterations):
        labels = {
            node: _digest(
                label
                + "".join(sorted("s_" + labels[n] for n in successors[node]))
                + "".join(sorted("p_" + labels[n] for n in predecessors[node]))
            )
            for node, label in labels.items()
        }
        counts.extend(sorted(Counter(labels.values()).items()))
    return _digest(str(tuple(counts)))
