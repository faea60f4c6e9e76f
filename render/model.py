"""The figure of one architecture, in the style of the paper's Figures 1, 3 and 7.

Built from the AST alone (never a traced model): the file is the architecture, so the figure can be
drawn for any valid file instantly and without PyTorch. Edges are styled from the learned weights
when the file carries them; a block's sole input has no weight in the language (it is never gated),
and in a weighted figure it is drawn as a full-strength connection, which is what it is. AssembleNet++
attention is drawn apart from the data connections (see `attention.py`).
"""

from __future__ import annotations

import graphviz

from ..dsl import Block, Network
from .attention import add_peer_edges, attention_key, attention_summary
from .nodes import RankDir, add_head, add_levels
from .style import (
    FEED_COLOURS,
    HEAD_COLOURS,
    UNWEIGHTED_EDGE,
    esc,
    format_weight,
    key_label,
    line_key,
    new_graph,
    swatch_key,
    title_label,
    weight_key,
    weighted_edge,
)


def has_weights(network: Network) -> bool:
    """Whether any edge of the file carries a learned weight (then edges are styled by weight)."""
    return any(edge.weight is not None for block in network.blocks for edge in block.inputs)


def edge_count(network: Network) -> int:
    return sum(len(block.inputs) for block in network.blocks)


def _depth_text(network: Network) -> str:
    header = network.header
    repeats = "-".join(str(r) for r in header.repeats)
    depth = f"depth {header.depth}" if isinstance(header.depth, int) else "custom depth"
    return f"{depth} (modules per block {repeats})"


def channel_summary(network: Network) -> str:
    """Sum of C per level against its budget (the budget rules: `Network.level_sum`)."""
    parts = []
    for level in range(5):
        used = network.level_sum(level)
        name = "stems" if level == 0 else f"L{level}"
        parts.append(f"{name} {used}/{network.header.channel_budget(level)}")
    return "ΣC / budget: " + ", ".join(parts)


def info_lines(network: Network) -> list[str]:
    """The caption under the title: size, depth, channel sums, how edges are weighted."""
    header = network.header
    if header.edges == "fixed":
        edges = "fixed weights"
    elif has_weights(network):
        edges = "learned, last learned weights shown"
    else:
        edges = "learned, no weights yet"
    first = (
        f"{_depth_text(network)} · {header.classes} classes · {len(network.stems)} stems, "
        f"{len(network.blocks)} blocks, {edge_count(network)} edges ({edges})"
    )
    second = channel_summary(network)
    if header.width != 1.0:
        second += f" · width ×{header.width:g}"
    if header.flow == "input":
        second += " · flow given as input"
    elif header.flow == "pyramid":
        settings = header.pyramid.settings() if header.pyramid else {}
        second += " · coarse-to-fine flow" + "".join(f" {key}={value:g}" for key, value in settings.items())
    attention = attention_summary(network)
    return [esc(first), esc(second), *([attention] if attention else [])]


def key(classes: set[str], weighted: bool, extra_edges: list[str] | None = None, *, sole_inputs: bool = False) -> str:
    """The figure's key: colours of the feeding classes present and, when edges carry weights, how
    weight maps to darkness and width (`sole_inputs`: also the full-strength ungated edge);
    `extra_edges` adds rows (the supergraph's unused edges)."""
    order = ["rgb", "flow", "object", "mixed", "none"]
    nodes = [swatch_key(FEED_COLOURS[c]) for c in order if c in classes]
    nodes.append(swatch_key(HEAD_COLOURS, "head (sink)", rounded=False))
    if weighted:
        edges = [weight_key(w) for w in (0.1, 0.5, 0.9)]
        if sole_inputs:
            edges.append(weight_key(1.0, "sole input (ungated)"))
    else:
        edges = [line_key(UNWEIGHTED_EDGE["color"], "input")]
    edges += extra_edges or []
    return key_label([("nodes fed by", nodes), ("edges", edges)])


def has_sole_inputs(network: Network) -> bool:
    return any(len(block.inputs) == 1 and block.inputs[0].weight is None for block in network.blocks)


def model_graph(
    network: Network,
    *,
    rankdir: RankDir = "BT",
    label_weights: bool = False,
    title: str | None = None,
) -> graphviz.Digraph:
    """The architecture as a Graphviz Digraph: one rank per level, the head after level 4.

    `label_weights` writes each learned weight (and peer weight) on its edge (off by default, as in
    the paper, where darkness and width alone carry it); SVG output always has the value as the
    edge's tooltip.
    """
    graph = new_graph(network.header.name, rankdir)
    weighted = has_weights(network)
    classes = add_levels(graph, network)
    for block in network.blocks:
        _add_inputs(graph, block, weighted=weighted, label_weights=label_weights)
    add_peer_edges(graph, network, label_weights=label_weights)
    legend = key(set(classes.values()), weighted, attention_key(network), sole_inputs=has_sole_inputs(network))
    add_head(graph, network, key=legend)
    graph.attr("graph", label=title_label(title or network.header.name, info_lines(network)))
    return graph


def _add_inputs(graph: graphviz.Digraph, block: Block, *, weighted: bool, label_weights: bool) -> None:
    sole = len(block.inputs) == 1
    for edge in block.inputs:
        attrs: dict[str, str]
        if edge.weight is not None:
            attrs = weighted_edge(edge.weight)
            tip = f"{edge.source} -> {block.id}: weight {edge.weight!r}"
            if label_weights:
                attrs["label"] = format_weight(edge.weight)
        elif weighted and sole:
            attrs = weighted_edge(1.0)
            tip = f"{edge.source} -> {block.id}: sole input (not gated)"
        else:
            attrs = dict(UNWEIGHTED_EDGE)
            tip = f"{edge.source} -> {block.id}"
        graph.edge(edge.source, block.id, tooltip=tip, **attrs)
