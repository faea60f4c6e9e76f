"""The synthetic stand-in cost: defined for every network the language can write, and monotone in width."""

from __future__ import annotations

from pathlib import Path

from anet.cost.synthetic import synthetic_work
from anet.dsl import parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_bottleneck_block_counts_two_c_by_4c_convolutions_per_module():
    network = parse((EXAMPLES / "one_stream_rgb.anet").read_text())
    repeats = network.header.repeats
    blocks = sum(8 * c**2 * repeats[level - 1] for level, c in [(1, 128), (2, 256), (3, 512), (4, 512)])
    assert synthetic_work(network)[0] == 7 * 7 * 3 * 128 + blocks


def test_every_example_has_a_cost_and_lite_filters_count():
    for path in sorted(EXAMPLES.glob("*.anet")):
        weights, per_pixel = synthetic_work(parse(path.read_text()))
        assert weights > 0 and per_pixel > 0, path.name
    lite = (EXAMPLES / "assemblenet_plus_lite.anet").read_text()
    wider = lite.replace("C=[27, 27, 12]", "C=[54, 54, 12]", 1)
    assert wider != lite and synthetic_work(parse(wider))[0] > synthetic_work(parse(lite))[0]
