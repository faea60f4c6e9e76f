"""The printer and the parser are inverses: parse(print(ast)) == ast for every valid AST, and
print(parse(text)) == text for canonical text, comments included."""

from __future__ import annotations

from pathlib import Path

import pytest
from anet_strategies import networks
from hypothesis import HealthCheck, given, settings

from anet.dsl import check_text, format_network, is_valid, parse
from anet.dsl.printer import format_weight

EXAMPLES = sorted(Path(__file__).parents[2].joinpath("examples").glob("*.anet"))
CANONICAL = sorted(Path(__file__).parent.joinpath("cases", "canonical").glob("*.anet"))


@pytest.mark.slow  # 300 generated networks (the canonical files and examples below stay fast)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(plus=True))
def test_parse_of_print_is_identity(network):
    assert is_valid(network)
    text = format_network(network)
    checked = check_text(text, "generated.anet")
    assert checked.diagnostics == [], text
    assert checked.network == network
    assert format_network(checked.network) == text


@pytest.mark.parametrize("path", EXAMPLES + CANONICAL, ids=lambda p: p.name)
def test_print_of_parse_is_identity_for_canonical_files(path):
    text = path.read_text()
    assert format_network(parse(text, str(path))) == text


def test_examples_are_present():
    names = {p.stem for p in EXAMPLES}
    assert {
        "assemblenet50",
        "assemblenet101",
        "two_stream_late_fusion",
        "two_stream_fusion_lv4",
        "two_stream_flow_to_rgb",
        "two_stream_fully_connected",
        "four_stream_fully_connected",
    } <= names


def test_formatting_keeps_comments_and_normalises_layout():
    messy = (
        "\n\n# leading comment\nnetwork   tiny   # named tiny\n"
        "classes 4\n# about the pool\npool max\n\n\n"
        "stem 0   in=[ rgb ]  r=1 C=64  # the only stem\n\n\n\n"
        "# the head reads this one\nblock 1 level=4 in=[0] C=8 r=1 stride=1\n\n# the end\n\n"
    )
    expected = (
        "# leading comment\nnetwork tiny  # named tiny\n  classes 4\n  # about the pool\n  pool max\n\n"
        "stem 0 in=[rgb] C=64 r=1  # the only stem\n\n# the head reads this one\n"
        "block 1 level=4 in=[0] C=8 r=1\n\n# the end\n"
    )
    assert format_network(parse(messy)) == expected
    assert format_network(parse(expected)) == expected


def test_explicit_defaults_are_kept_and_implicit_ones_stay_implicit():
    text = "network tiny\n  classes 4\n  pool avg\n\nstem 0 in=[rgb] C=64 r=1\nblock 1 level=4 in=[0] C=8 r=1\n"
    assert format_network(parse(text)) == text
    assert "pool" not in format_network(parse(text.replace("  pool avg\n", "")))


@pytest.mark.parametrize("weight", [0.13810564577579498, 0.5, 1e-7, 0.99999994, 0.1])
def test_weights_print_short_and_read_back_exactly(weight):
    import numpy as np

    w = float(np.float32(weight))
    text = format_weight(w)
    assert float(np.float32(float(text))) == w
    assert len(text) <= 12
