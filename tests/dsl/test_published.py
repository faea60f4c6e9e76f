"""The authors' published flat-list structures convert to .anet and back without any change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anet.dsl import PublishedFormatError, format_network, from_published, load, parse, to_published

EXAMPLES = Path(__file__).parents[2] / "examples"
PUBLISHED = json.loads((EXAMPLES / "published-structures.json").read_text())


@pytest.mark.parametrize("name", ["assemblenet50", "assemblenet101"])
def test_published_models_round_trip_exactly(name):
    entry = PUBLISHED[name]
    network = from_published(entry, name=name, classes=339)
    assert to_published(network) == entry
    assert to_published(parse(format_network(network))) == entry  # through the text form too


@pytest.mark.parametrize("name", ["assemblenet50", "assemblenet101"])
def test_examples_are_the_published_models(name):
    example = load(EXAMPLES / f"{name}.anet")
    assert to_published(example) == PUBLISHED[name]
    assert example.header.edges == "fixed"


def test_assemblenet101_differs_from_50_only_in_widths_and_repeats():
    a50, a101 = (load(EXAMPLES / f"{n}.anet") for n in ("assemblenet50", "assemblenet101"))
    assert a101.header.repeats == (3, 4, 23, 3)
    assert [e for b in a50.blocks for e in b.inputs] == [e for b in a101.blocks for e in b.inputs]
    assert {b.channels for b in a101.blocks if b.level == 3} == {192}
    assert {b.channels for b in a101.blocks if b.level == 4} == {256}


def test_table5_reading():
    """Spot checks against the paper's Table 5 (paper levels are 1-4; the list uses 0-3)."""
    net = load(EXAMPLES / "assemblenet50.anet")
    assert [s.modality for s in net.stems] == ["rgb", "rgb", "flow", "flow"]
    assert [s.r for s in net.stems] == [4, 4, 1, 1]
    b8 = net.node("8")
    assert (b8.level, [e.source for e in b8.inputs], b8.channels, b8.r, b8.stride) == (
        2,
        ["0", "4", "5", "6", "7"],
        64,
        2,
        2,
    )
    assert net.node("14").level == 4


def test_object_stem_needs_its_class_count():
    entry = PUBLISHED["assemblenet_plus50"]
    with pytest.raises(PublishedFormatError, match="object stem"):
        from_published(entry, name="plus", classes=10)
    # The published AssembleNet++ structure has a block whose output nothing reads (position 9);
    # our validator refuses dead nodes, and says which.
    with pytest.raises(PublishedFormatError, match="node 9 does not feed any level-4 block"):
        from_published(entry, name="plus", classes=10, object_classes=151)
    structure = [list(item) for item in entry["structure"]]
    structure[12][1] = [4, 9, 11]  # let block 12 read it too
    weights = [list(w) for w in entry["edge_weights"]]
    weights[12] = [[0.5, 0.5, 0.5]]
    fixed = {"structure": structure, "edge_weights": weights, "repeats_per_level": entry["repeats_per_level"]}
    net = from_published(fixed, name="plus", classes=10, object_classes=151)
    assert [s.channels for s in net.stems] == [32, 32, 32, 32, 151]
    assert to_published(net) == fixed


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"structure": [[-1, 4], [0, [5], 32, 1, 1, 0]]}, "unknown node 5"),
        ({"structure": [[-7, 4]]}, "neither a stem"),
        ({"structure": [[-1, 4], [0, [0, 0], 32, 1, 1, 0]], "edge_weights": [[], [[0.5]]]}, "2 inputs but 1 weights"),
        ({"nope": 1}, "expected an object"),
    ],
)
def test_malformed_json_is_reported(bad, message):
    with pytest.raises(PublishedFormatError, match=message):
        from_published(bad, name="x")
