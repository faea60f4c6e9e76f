"""The search space around one architecture, in the style of the paper's Figure 5.

The evolution may connect any node to any block on a strictly higher level (stems are level 0), so
the supergraph over a fixed set of nodes has one candidate edge per such pair; an architecture is one
of its 2^allowed subgraphs. Drawing the used edges solid over the faint dashed rest shows how sparse
the found connectivity is. The head reads every level-4 block by construction and is not a choice.
In a search with attention, every block may also switch its attention and a peer-attention block
listen to any node below it: the caption counts those candidates and the written peers are drawn
as in the model figure (`attention.py`).
"""

from __future__ import annotations

import graphviz

from ..dsl import Network
from .attention import add_peer_edges, attention_key, attention_summary
from .layout import PINNED_GRAPH_ATTRS, Positions, dot_positions
from .model import edge_count, has_sole_inputs, has_weights, key
from .nodes import RankDir, add_head, add_levels
from .style import UNUSED_EDGE, UNWEIGHTED_EDGE, esc, line_key, new_graph, title_label, weighted_edge

EXACT_DIGITS = 15
"""Connectivity-space sizes up to this many digits are printed exactly, larger ones as a power of ten."""


def allowed_edges(network: Network) -> list[tuple[str, str]]:
    """Every (source, target) pair the search could connect, by target then source in file order."""
    return network.allowed_edges()


def used_edges(network: Network) -> dict[tuple[str, str], float | None]:
    """The architecture's own edges with their weights (None when unweighted)."""
    return {(edge.source, block.id): edge.weight for block in network.blocks for edge in block.inputs}


def space_size(allowed: int) -> str:
    """2^allowed as text: exact when short, else `2^n ≈ m × 10^e` (the exact value is useless)."""
    value = 2**allowed
    digits = len(str(value))
    if digits <= EXACT_DIGITS:
        return f"2^{allowed} = {value:,}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"2^{allowed} ≈ {mantissa} × 10^{int(exponent)}"


def attention_caption(network: Network) -> list[str]:
    """The attention candidates, once some block attends: every block may switch its attention, and
    a peer-attention block may listen to any node below it (the same pairs as the allowed edges)."""
    summary = attention_summary(network)
    if summary is None:
        return []
    peer_blocks = [b for b in network.blocks if network.attention_of(b) == "peer"]
    candidates = sum(len(network.peer_candidates(b)) for b in peer_blocks)
    used = sum(len(network.peers_of(b)) for b in peer_blocks)
    return [
        summary,
        esc(
            f"attention candidates: each of the {len(network.blocks)} blocks can switch its attention; "
            f"the {len(peer_blocks)} peer blocks use {used} of {candidates} candidate peers (every node below)"
        ),
    ]


def supergraph_caption(network: Network) -> list[str]:
    allowed = len(allowed_edges(network))
    used = edge_count(network)
    share = f" ({100 * used / allowed:.0f}%)" if allowed else ""
    return [
        esc(
            f"search space over {len(network.nodes)} nodes: {allowed} allowed edges (lower level → strictly "
            f"higher level), {used} used{share}"
        ),
        esc(f"connectivity space: {space_size(allowed)} architectures; solid = used, dashed = unused"),
        *attention_caption(network),
    ]


def supergraph(
    network: Network,
    *,
    rankdir: RankDir = "BT",
    title: str | None = None,
    positions: Positions | None = None,
    draw_unused: bool = True,
) -> graphviz.Digraph:
    """Every allowed edge between the architecture's nodes; its own edges solid, the others dashed.

    Unused edges come first in the text so that SVG draws the used ones on top. With `positions`
    (see `supergraph_figure`), nodes are pinned there and edges drawn straight; without, the DOT text
    is an ordinary `dot` graph (correct, but much wider: long edges reserve room on every level).
    `draw_unused=False` leaves the unused edges out: the graph whose `dot` layout gives the positions.
    """
    graph = new_graph(f"{network.header.name}_supergraph", rankdir)
    if positions:
        graph.attr("graph", **PINNED_GRAPH_ATTRS)
    weighted = has_weights(network)
    classes = add_levels(graph, network, positions=positions)
    used = used_edges(network)
    sole_inputs = {block.id for block in network.blocks if len(block.inputs) == 1}
    allowed = allowed_edges(network)
    for source, target in allowed if draw_unused else ():
        if (source, target) not in used:
            graph.edge(source, target, tooltip=f"{source} -> {target}: allowed, unused", **UNUSED_EDGE)
    for source, target in allowed:
        if (source, target) in used:
            weight = used[(source, target)]
            if weight is not None:
                attrs = weighted_edge(weight)
            elif weighted and target in sole_inputs:
                attrs = weighted_edge(1.0)
            else:
                attrs = dict(UNWEIGHTED_EDGE)
            graph.edge(source, target, tooltip=f"{source} -> {target}: used", **attrs)
    # An unvalidated network may use edges the level order forbids; show them in red, never hide them.
    allowed_set = set(allowed)
    for source, target in used:
        if (source, target) not in allowed_set:
            graph.edge(source, target, color="#d62728", penwidth="2", tooltip=f"{source} -> {target}: not allowed")
    add_peer_edges(graph, network)
    unused = [line_key(UNUSED_EDGE["color"], "allowed, unused", dashed=True), *attention_key(network)]
    add_head(
        graph,
        network,
        positions=positions,
        key=key(set(classes.values()), weighted, unused, sole_inputs=has_sole_inputs(network)),
    )
    name = title or f"{network.header.name}: search supergraph"
    graph.attr("graph", label=title_label(name, supergraph_caption(network)))
    return graph


def supergraph_figure(network: Network, *, rankdir: RankDir = "BT", title: str | None = None) -> graphviz.Digraph:
    """The supergraph with every node where `dot` puts it for the architecture's own edges, i.e.
    where the model figure puts it (the labels, and so the sizes, are the same).

    Needs `dot` for that layout; without it the plain `supergraph` DOT text is returned, which any
    machine with Graphviz can render later.
    """
    positions = dot_positions(supergraph(network, rankdir=rankdir, title=title, draw_unused=False))
    return supergraph(network, rankdir=rankdir, title=title, positions=positions)
