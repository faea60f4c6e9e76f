"""The supergraph: every allowed edge, the used ones solid, the caption's counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from anet.dsl import load
from anet.render import layout
from anet.render.nodes import HEAD_ID
from anet.render.supergraph import allowed_edges, space_size, supergraph, supergraph_figure

EXAMPLES = Path(__file__).parents[2] / "examples"


def _allowed_from_levels(network) -> int:
    level = {n.id: n.level for n in network.nodes}
    return sum(1 for dst in network.blocks for src in level if level[src] < dst.level)


@pytest.mark.parametrize("name", ["assemblenet50", "four_stream_fully_connected", "two_stream_late_fusion"])
def test_every_allowed_edge_is_drawn_and_only_used_ones_are_solid(name, dot_of):
    network = load(EXAMPLES / f"{name}.anet")
    dot = dot_of(supergraph(network))
    edges = [(s, d, a) for s, d, a in dot.visible_edges() if d != HEAD_ID]
    assert len(edges) == len(allowed_edges(network)) == _allowed_from_levels(network)
    assert len({(s, d) for s, d, _ in edges}) == len(edges)
    used = {(e.source, b.id) for b in network.blocks for e in b.inputs}
    solid = {(s, d) for s, d, a in edges if "dashed" not in a.get("style", "")}
    dashed = {(s, d) for s, d, a in edges if a.get("style") == "dashed"}
    assert solid == used
    assert dashed == {(s, d) for s, d, _ in edges} - used
    assert all(dot.nodes[d].get("label") for _, d, _ in edges)


def test_assemblenet50_counts_in_the_caption(a50, dot_of):
    # levels: 4 stems, 4 + 4 blocks on levels 1-2, 2 on level 3, 1 on level 4
    assert len(allowed_edges(a50)) == 4 * 4 + 8 * 4 + 12 * 2 + 14 * 1 == 86
    label = dot_of(supergraph(a50)).graph["label"]
    assert "86 allowed edges" in label and "30 used" in label
    assert "2^86 ≈ 7.74 × 10^25" in label


def test_space_size_is_exact_when_short_and_scientific_when_huge():
    assert space_size(0) == "2^0 = 1"
    assert space_size(10) == "2^10 = 1,024"
    assert space_size(40) == f"2^40 = {2**40:,}"
    assert space_size(86) == "2^86 ≈ 7.74 × 10^25"
    assert space_size(360) == "2^360 ≈ 2.35 × 10^108"


def test_ranks_match_the_model_figure(a50, dot_of):
    dot = dot_of(supergraph(a50))
    for level in range(5):
        ids = [n for n in dot.subgraphs[f"level{level}"]["nodes"] if not n.startswith("__level")]
        assert sorted(ids, key=int) == sorted((n.id for n in a50.nodes if n.level == level), key=int)


def test_figure_pins_nodes_where_the_model_figure_puts_them(a50, dot_of, dot_program):
    dot = dot_of(supergraph_figure(a50))
    assert dot.graph["layout"] == "neato"
    for node in a50.nodes:
        assert dot.nodes[node.id]["pos"].endswith("!")
    assert dot.nodes[HEAD_ID]["pos"].endswith("!")


def test_figure_without_dot_is_a_plain_dot_graph(a50, dot_of, monkeypatch):
    monkeypatch.setattr(layout.shutil, "which", lambda name: None)
    graph = supergraph_figure(a50)
    dot = dot_of(graph)
    assert "layout" not in dot.graph
    assert all("pos" not in attrs for attrs in dot.nodes.values())
    assert graph.source == supergraph(a50).source
