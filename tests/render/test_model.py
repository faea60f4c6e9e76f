"""The model figure's DOT structure: ranks, edges, weight styling, labels, modality colours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from anet.dsl import load, parse
from anet.render.model import model_graph
from anet.render.nodes import HEAD_ID, KEY_ID, feeding_modalities
from anet.render.style import FEED_COLOURS, UNWEIGHTED_EDGE, weight_colour, weight_penwidth

EXAMPLES = Path(__file__).parents[2] / "examples"


def _real(nodes):
    return [n for n in nodes if not n.startswith("__level")]


def test_one_rank_same_group_per_level_with_its_nodes(a50, dot_of):
    dot = dot_of(model_graph(a50))
    expected = {level: [n.id for n in a50.nodes if n.level == level] for level in range(5)}
    for level, ids in expected.items():
        group = dot.subgraphs[f"level{level}"]
        assert group["attrs"]["rank"] == "same"
        assert sorted(_real(group["nodes"]), key=int) == sorted(ids, key=int)
    assert dot.subgraphs["head"]["attrs"]["rank"] == "same"
    assert _real(dot.subgraphs["head"]["nodes"]) == [HEAD_ID, KEY_ID]


def test_every_input_edge_and_the_head_edges_are_drawn(a50, dot_of):
    dot = dot_of(model_graph(a50))
    edges = [(s, d) for s, d, _ in dot.visible_edges()]
    inputs = [(e.source, b.id) for b in a50.blocks for e in b.inputs]
    assert len(a50.blocks) == 11
    assert len(inputs) == sum(len(b.inputs) for b in a50.blocks) == 30
    head = [(s, d) for s, d in edges if d == HEAD_ID]
    assert head == [("14", HEAD_ID)]
    assert sorted(e for e in edges if e[1] != HEAD_ID) == sorted(inputs)
    assert len(edges) == len(inputs) + len(a50.top_level)


def test_pen_width_and_darkness_grow_with_the_weight(a50, dot_of):
    dot = dot_of(model_graph(a50))
    weights = {(e.source, b.id): e.weight for b in a50.blocks for e in b.inputs if e.weight is not None}
    styled = {(s, d): a for s, d, a in dot.visible_edges()}
    ordered = sorted(weights, key=weights.get)
    pens = [float(styled[k]["penwidth"]) for k in ordered]
    greys = [int(styled[k]["color"][1:3], 16) for k in ordered]
    assert pens == sorted(pens) and pens[0] < pens[-1]
    assert greys == sorted(greys, reverse=True) and greys[0] > greys[-1]
    assert styled[("0", "9")]["color"] == weight_colour(0.028569205)  # the weakest: light grey
    assert styled[("12", "14")]["penwidth"] == weight_penwidth(0.98922044)
    # a sole input (block 4 reads only stem 1) is ungated: drawn at full strength
    assert styled[("1", "4")]["penwidth"] == weight_penwidth(1.0)


def test_style_helpers_are_monotone():
    steps = [i / 100 for i in range(101)]
    assert [float(weight_penwidth(w)) for w in steps] == sorted(float(weight_penwidth(w)) for w in steps)
    assert [int(weight_colour(w)[1:3], 16) for w in steps] == sorted(
        (int(weight_colour(w)[1:3], 16) for w in steps), reverse=True
    )


def test_unweighted_files_get_a_uniform_edge_style(dot_of):
    dot = dot_of(model_graph(load(EXAMPLES / "two_stream_late_fusion.anet")))
    styles = {(a["color"], a["penwidth"]) for s, d, a in dot.visible_edges() if d != HEAD_ID}
    assert styles == {(UNWEIGHTED_EDGE["color"], UNWEIGHTED_EDGE["penwidth"])}


def test_labels_carry_id_channels_dilation_and_stride(a50, dot_of):
    dot = dot_of(model_graph(a50))
    for node in a50.nodes:
        label = dot.nodes[node.id]["label"]
        assert f"<B>{node.id}</B>" in label
        assert f"C={node.channels}" in label and f"r={node.r}" in label
        if node.level > 0:
            assert f"stride={node.stride}" in label
        else:
            assert ("RGB stem" if node.modality == "rgb" else "flow stem") in label


def test_nodes_are_coloured_by_the_modalities_that_feed_them(a50, dot_of):
    dot = dot_of(model_graph(a50))
    fill = {n: a["fillcolor"] for n, a in dot.nodes.items() if "fillcolor" in a}
    assert fill["4"] == FEED_COLOURS["rgb"].fill  # reads RGB stem 1 only
    assert fill["6"] == FEED_COLOURS["mixed"].fill  # reads RGB and flow stems
    assert fill["7"] == FEED_COLOURS["flow"].fill  # reads flow stems 2 and 3 only
    assert fill["0"] == fill["1"] == FEED_COLOURS["rgb"].fill
    assert fill["2"] == fill["3"] == FEED_COLOURS["flow"].fill
    assert fill["14"] == FEED_COLOURS["mixed"].fill
    feeds = feeding_modalities(a50)
    assert feeds["11"] == {"rgb"}  # 11 reads 0 and 5, both RGB-only
    assert fill["11"] == FEED_COLOURS["rgb"].fill


def test_object_stems_have_their_own_colour(dot_of):
    net = parse(
        "network obj\n  classes 10\n\nstem o in=[object] C=8 r=1\nstem f in=[rgb] C=32 r=1\n"
        "block a level=1 in=[o] C=32 r=1\nblock b level=4 in=[a@0.5, f@0.25] C=64 r=1\n"
    )
    dot = dot_of(model_graph(net))
    assert dot.nodes["o"]["fillcolor"] == dot.nodes["a"]["fillcolor"] == FEED_COLOURS["object"].fill
    assert dot.nodes["b"]["fillcolor"] == FEED_COLOURS["mixed"].fill
    assert "object only" in dot.nodes[KEY_ID]["label"]


def test_object_stems_are_outside_the_stem_budget_in_the_caption(dot_of):
    """An object stem's C counts segmentation classes: the validator leaves it out of the stem budget
    and so must the caption (it used to read `stems 279/128` for this valid file)."""
    text = (
        "network obj\n  classes 10\n\nstem o in=[object] C=151 r=1\nstem r in=[rgb] C=64 r=1\n"
        "stem f in=[flow] C=64 r=1\nblock a level=1 in=[o, r, f] C=32 r=1\nblock b level=4 in=[a] C=64 r=1\n"
    )
    net = parse(text)
    label = dot_of(model_graph(net)).graph["label"]
    assert "stems 128/128" in label and "L1 32/128" in label
    assert "279" not in label


def test_title_names_the_network_and_its_depth(a50, dot_of):
    label = dot_of(model_graph(a50)).graph["label"]
    assert "assemblenet50" in label and "depth 50" in label and "3-4-6-3" in label
    assert "339 classes" in label and "11 blocks" in label and "30 edges" in label
    assert "L3 512/512" in label


def test_key_explains_the_colours_and_weights_present(a50, dot_of):
    dot = dot_of(model_graph(a50))
    key = dot.nodes[KEY_ID]["label"]
    assert "RGB only" in key and "flow only" in key and "mixed" in key and "object only" not in key
    assert "weight 0.1" in key and "weight 0.9" in key and "sole input" in key
    assert dot.node_subgraph[KEY_ID] == dot.node_subgraph[HEAD_ID] == "head"
    plain = dot_of(model_graph(load(EXAMPLES / "two_stream_late_fusion.anet"))).nodes[KEY_ID]["label"]
    assert "weight" not in plain and "input" in plain


def test_weight_labels_on_request(a50, dot_of):
    edges = dot_of(model_graph(a50, label_weights=True)).visible_edges()
    labels = {(s, d): a.get("label") for s, d, a in edges}
    assert labels[("0", "6")] == "0.138"
    assert labels[("1", "4")] is None


def test_dot_text_is_deterministic_across_processes(a50):
    """Another process, with another string-hash seed, writes the very same text (no set order leaks)."""
    from anet.render import supergraph

    code = (
        "from anet.dsl import load; from anet.render import model_graph, supergraph; "
        f"n = load({str(EXAMPLES / 'assemblenet50.anet')!r}); print(model_graph(n).source + supergraph(n).source)"
    )
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = os.environ | {"PYTHONHASHSEED": seed}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert other == model_graph(a50).source + supergraph(a50).source + "\n"
