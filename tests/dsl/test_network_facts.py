"""What a `Network` answers about itself (inputs, budget sums, allowed edges, node labels), and that
the search, the figures and the runtime ask it instead of working it out again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from anet import paper
from anet.dsl import load, parse
from anet.dsl.hashing import architecture_hash
from anet.evolution.arch import Arch
from anet.evolution.dedupe import transfer_weights
from anet.paper import Input
from anet.render.supergraph import allowed_edges

EXAMPLES = Path(__file__).parents[2] / "examples"

STEMS = {
    "rgb": "stem r in=[rgb] C=64 r=1\n",
    "flow": "stem f in=[flow] C=64 r=1\n",
    "object": "stem o in=[object] C=151 r=1\n",
}


def network(stems: list[str], flow: str = "computed") -> str:
    ids = ", ".join({"rgb": "r", "flow": "f", "object": "o"}[s] for s in stems)
    return (
        f"network n\n  classes 3\n  flow {flow}\n\n"
        + "".join(STEMS[s] for s in stems)
        + f"block a level=1 in=[{ids}] C=32 r=1\nblock b level=4 in=[a] C=64 r=1\n"
    )


@pytest.mark.parametrize(
    ("stems", "flow", "expected"),
    [
        (["rgb"], "computed", [Input("rgb", 3, True)]),
        (["rgb", "flow"], "computed", [Input("rgb", 3, True), Input("flow", 2, False)]),
        (["flow"], "computed", [Input("rgb", 3, True), Input("flow", 2, False)]),  # flow computed from RGB
        (["flow"], "input", [Input("flow", 2, True)]),
        (["rgb", "flow"], "input", [Input("rgb", 3, True), Input("flow", 2, True)]),
        (["rgb", "object"], "computed", [Input("rgb", 3, True), Input("segmentation", 151, True)]),
    ],
)
def test_inputs_follow_the_stems_and_the_flow_setting(stems, flow, expected):
    assert list(parse(network(stems, flow)).inputs) == expected


def test_budget_sums_leave_object_stems_out():
    net = parse(network(["rgb", "flow", "object"]))
    assert [n.id for n in net.budget_nodes(0)] == ["r", "f"]
    assert [net.level_sum(level) for level in range(5)] == [128, 32, 0, 0, 64]


def test_the_search_and_the_supergraph_allow_the_networks_edges():
    a50 = load(EXAMPLES / "assemblenet50.anet")
    edges = a50.allowed_edges()
    assert len(edges) == 86 and all(a50.node(s).level < a50.node(t).level for s, t in edges)
    assert Arch.from_network(a50).allowed_edges() == edges == allowed_edges(a50)
    assert [Arch.from_network(a50).level_sum(level) for level in range(5)] == [
        a50.level_sum(level) for level in range(5)
    ]


def test_hash_and_isomorphism_use_the_same_node_labels():
    """Relabelled ids hash alike and map onto each other; a changed label (r) does neither."""
    text = network(["rgb", "flow"])
    renamed = text.replace(" r in=", " rr in=").replace("[r, f]", "[rr, f]")
    a, b = parse(text), parse(renamed)
    assert architecture_hash(a) == architecture_hash(b)
    assert transfer_weights(a, {"a": [0.25, 0.75]}, b) == {"a": [0.25, 0.75]}
    other = parse(text.replace("block a level=1 in=[r, f] C=32 r=1", "block a level=1 in=[r, f] C=32 r=2"))
    assert architecture_hash(a) != architecture_hash(other)
    assert transfer_weights(a, {"a": [0.25, 0.75]}, other) == {}
    assert a.node("a").label == "block:L1:C32:r1:s1" and a.node("r").label == "stem:rgb:C64:r1"


def test_the_runtime_and_the_language_read_the_papers_constants():
    from anet import runtime
    from anet.dsl import constants

    assert runtime.LEVEL_WIDTHS is paper.LEVEL_WIDTHS and runtime.REPEATS is paper.DEPTH_REPEATS
    assert constants.DEPTH_REPEATS is paper.DEPTH_REPEATS and constants.DILATIONS is paper.DILATIONS
    assert runtime.Input is paper.Input


def test_the_paper_module_imports_nothing_heavy():
    code = (
        "import sys, anet.paper; "
        "bad = [m for m in ('torch', 'numpy', 'networkx', 'anet.dsl') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
