"""AssembleNet++ in the figures: attention written on the block, peers as amber dashed edges apart
from the data connections (the strongest few, weighted like edges), the object stem's class count."""

from __future__ import annotations

from pathlib import Path

import pytest

from anet.dsl import load, parse
from anet.render.attention import MAX_PEER_EDGES
from anet.render.model import model_graph
from anet.render.nodes import HEAD_ID
from anet.render.output import write_figure
from anet.render.style import ATTENTION_COLOUR, UNWEIGHTED_EDGE
from anet.render.supergraph import supergraph

EXAMPLES = Path(__file__).parents[2] / "examples"

WEIGHTED = """network w
  classes 10
  attention peer
stem 0 in=[rgb] C=64 r=1
stem 1 in=[flow] C=64 r=1
block 2 level=1 in=[0, 1] C=64 r=1 attention=self
block 3 level=2 in=[0, 1, 2] C=128 r=1 peers=[0@0.1, 1@0.6, 2@0.3]
block 4 level=3 in=[3] C=256 r=1 peers=[0@0.05, 1@0.4, 2@0.2, 3@0.35]
block 5 level=4 in=[4, 2] C=512 r=1 peers=[0, 1, 2, 3, 4]
"""


def _peer_edges(dot):
    return {(s, d): a for s, d, a in dot.visible_edges() if a.get("arrowhead") == "odot"}


def test_assemblenet_plus50_writes_each_blocks_peers_on_it_and_draws_no_peer_edge(dot_of):
    network = load(EXAMPLES / "assemblenet_plus50.anet")
    dot = dot_of(model_graph(network))
    for block in network.blocks:
        assert f"peer: all {len(network.peer_candidates(block))} below" in dot.nodes[block.id]["label"]
        assert dot.nodes[block.id]["tooltip"].endswith(
            f"attention peer [{', '.join(p.source for p in network.peers_of(block))}]"
        )
    assert not _peer_edges(dot)  # the default list (85 peers here) is the note alone
    data = [(s, d) for s, d, _ in dot.visible_edges() if d != HEAD_ID]
    assert sorted(data) == sorted((e.source, b.id) for b in network.blocks for e in b.inputs)
    assert "151 classes" in dot.nodes["4"]["label"] and "C=151" not in dot.nodes["4"]["label"]
    assert "attention: peer on 10 of 10 blocks" in dot.graph["label"]


def test_written_peers_are_amber_dashed_edges_the_strongest_few_by_weight(dot_of):
    network = parse(WEIGHTED)
    peers = _peer_edges(dot_of(model_graph(network)))
    # block 3: 1 is weighted above uniform (1/3), 2 and 0 below it, but a list of three is drawn whole;
    # block 4: the peers above uniform (1/4), strongest first; block 5: five unweighted peers, not drawn
    assert set(peers) == {("0", "3"), ("1", "3"), ("2", "3"), ("1", "4"), ("3", "4")}
    for attrs in peers.values():
        assert attrs["style"] == "dashed" and attrs["constraint"] == "false"
        assert attrs["color"] != UNWEIGHTED_EDGE["color"]
    pens = [float(peers[(p, "3")]["penwidth"]) for p in ("0", "2", "1")]  # weights 0.1, 0.3, 0.6
    assert pens == sorted(pens) and pens[0] < pens[-1]
    darkness = [sum(int(peers[(p, "3")]["color"][i : i + 2], 16) for i in (1, 3, 5)) for p in ("0", "2", "1")]
    assert darkness == sorted(darkness, reverse=True)
    assert "softmax weight 0.6" in peers[("1", "3")]["tooltip"]
    labelled = _peer_edges(dot_of(model_graph(network, label_weights=True)))
    assert labelled[("1", "3")]["label"] == "0.600" and labelled[("1", "3")]["fontcolor"] == ATTENTION_COLOUR


def test_at_most_a_few_peer_edges_per_block():
    weights = ", ".join(f"{i}@{0.02 * (i + 1):.2f}" for i in range(8))
    stems = "\n".join(f"stem {i} in=[{'rgb' if i < 4 else 'flow'}] C=16 r=1" for i in range(8))
    text = (
        f"network m\n  classes 10\n  attention peer\n{stems}\nblock 8 level=4 in=[0, 4] C=512 r=1 peers=[{weights}]\n"
    )
    network = parse(text)
    dot = model_graph(network).source
    drawn = [line for line in dot.splitlines() if "odot" in line]
    assert len(drawn) == MAX_PEER_EDGES
    assert all(f"{s} -> 8" in "".join(drawn) for s in ("7", "6", "5"))  # the heaviest
    assert "peer: all 8 below" in dot


def test_self_attention_is_written_on_the_block(dot_of):
    dot = dot_of(model_graph(parse(WEIGHTED)))
    assert "self-attention" in dot.nodes["2"]["label"] and "peer" not in dot.nodes["2"]["label"]
    assert "attention: peer on 3, self on 1 of 4 blocks" in dot.graph["label"]
    assert "peer (attention), weighted" in dot.nodes["__key__"]["label"]


def test_a_network_without_attention_has_no_attention_in_its_figure(a50):
    for graph in (model_graph(a50), supergraph(a50)):
        source = graph.source
        assert "attention" not in source and "peer" not in source and ATTENTION_COLOUR not in source


def test_the_supergraph_counts_attention_candidates_and_draws_the_written_peers(dot_of):
    network = parse(WEIGHTED)
    dot = dot_of(supergraph(network))
    assert set(_peer_edges(dot)) == set(_peer_edges(dot_of(model_graph(network))))
    label = dot.graph["label"]
    assert "each of the 4 blocks can switch its attention" in label
    assert "the 3 peer blocks use 12 of 12 candidate peers" in label  # 3 + 4 + 5 written, all below


@pytest.mark.usefixtures("dot_program")
def test_assemblenet_plus50_renders(tmp_path):
    network = load(EXAMPLES / "assemblenet_plus50.anet")
    for fmt in ("svg", "png"):
        written = write_figure(model_graph(network), tmp_path / f"plus50.{fmt}")
        assert written.warning is None and written.path.stat().st_size > 10_000
    svg = (tmp_path / "plus50.svg").read_text()
    assert "peer: all 14 below" in svg and "object stem" in svg
