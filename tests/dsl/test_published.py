"""The authors' published flat-list structures convert to .anet and back without any change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anet.dsl import PublishedFormatError, format_network, from_published, load, parse, to_published, validate

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


def test_assemblenet_plus_imports_with_its_dead_node_named_and_round_trips():
    """The published AssembleNet++ structure has a block whose output no block reads (position 9):
    it imports (the TF code builds it), and the check names it. Stems get 128 // 5 = 25 filters:
    the TF code counts the object stem among the stems."""
    entry = PUBLISHED["assemblenet_plus50"]
    net = from_published(entry, name="plus", classes=10, object_classes=151, attention="peer")
    assert [s.channels for s in net.stems] == [25, 25, 25, 25, 151]
    warnings = [d for d in validate(net) if not d.is_error]
    assert [(d.code, d.span is None) for d in warnings] == [("W140", True)]
    assert "node 9 does not feed any level-4 block" in warnings[0].message
    assert "peer attention of blocks 12, 13, 14" in warnings[0].message
    assert to_published(net) == {k: entry[k] for k in ("structure", "edge_weights", "repeats_per_level")}
    assert net.header.attention == "peer" and net.peers_of(net.node("9"))[-1].source == "8"


def test_assemblenet_plus_lite_imports_its_filter_triples_and_round_trips():
    entry = PUBLISHED["assemblenet_plus_lite"]
    net = from_published(entry, name="lite", classes=157, attention="peer")
    assert net.header.family == "lite" and net.header.repeats == (3, 5, 11, 7)
    assert [s.channels for s in net.stems] == [24, 24]
    assert net.node("10").channels == (432, 432, 192) and net.node("10").out_channels == 192
    assert not validate(net)
    assert to_published(net) == {k: entry[k] for k in ("structure", "edge_weights", "repeats_per_level")}


def test_the_example_files_are_the_published_structures():
    for name, entry, kwargs in [
        ("assemblenet_plus50", "assemblenet_plus50", {"object_classes": 151}),
        ("assemblenet_plus_lite", "assemblenet_plus_lite", {}),
    ]:
        example = load(EXAMPLES / f"{name}.anet")
        imported = from_published(PUBLISHED[entry], name=name, classes=157, attention="peer", **kwargs)
        assert format_network(imported) in format_network(example)


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
