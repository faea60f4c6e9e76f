"""The cost lines `anet evolve` writes into a candidate's header (`latency`, `gflops`, `params`,
`retrained`): read, printed back in the table's order, located errors for values that do not fit,
and no part of the architecture's hash."""

from __future__ import annotations

import pytest

from anet.dsl import Retrained, architecture_hash, check_text, format_network, parse

HEAD = "network tiny\n  classes 3\n  fitness 1.25\n"
NODES = "\nstem 0 in=[rgb] C=8 r=1\nblock 1 level=4 in=[0] C=8 r=1\n"
COST = "  latency 1603.2\n  gflops 41.27\n  params 24361231\n  retrained mean=1.312 se=0.015 runs=3\n"


def test_the_lines_are_read_and_printed_back_after_fitness_and_before_mutations():
    text = HEAD + COST + "  mutations [split(1, 2)]\n" + NODES
    network = parse(text)
    h = network.header
    assert (h.latency, h.gflops, h.params) == (1603.2, 41.27, 24361231)
    assert h.retrained == Retrained(mean=1.312, se=0.015, runs=3)
    assert format_network(network) == text


@pytest.mark.parametrize(
    ("settings", "retrained", "printed"),
    [
        ("runs=3 se=0 mean=1", Retrained(mean=1.0, se=0.0, runs=3), "retrained mean=1.0 se=0.0 runs=3"),
        ("mean=-0.5 runs=1", Retrained(mean=-0.5, runs=1), "retrained mean=-0.5 runs=1"),  # one run: no spread
    ],
)
def test_retrained_settings_in_any_order_print_in_the_models_order(settings, retrained, printed):
    network = parse(f"{HEAD}  retrained {settings}\n{NODES}")
    assert network.header.retrained == retrained
    assert f"  {printed}\n" in format_network(network)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("latency -1", 11, "latency -1.0: Input should be greater than or equal to 0"),
        ("latency inf", 11, "unexpected 'inf'"),
        ("latency 1e999", 11, "latency inf: Input should be a finite number"),
        ("gflops -0.5", 10, "gflops -0.5: Input should be greater than or equal to 0"),
        ("params 1.5", 10, "params 1.5: Input should be a valid integer, got a number with a fractional part"),
        ("params -3", 10, "params -3: Input should be greater than or equal to 0"),
        ("retrained mean=1.3 se=-1 runs=3", 25, "retrained.se -1: Input should be greater than or equal to 0"),
        ("retrained mean=1.3 runs=0", 27, "retrained.runs 0: Input should be greater than or equal to 1"),
        ("retrained mean=1e999 runs=2", 18, "retrained.mean inf: Input should be a finite number"),
        ("retrained foo=1", 13, "unexpected 'foo'"),
        ("retrained mean=1.3", 3, "`retrained` has no `runs=`"),
        ("retrained mean=1.3 se=0.1 runs=1", 3, "retrained se=0.1 needs at least 2 runs; this line says runs=1"),
        ("retrained mean=1 mean=2 runs=2", 20, "retrained `mean` is given twice"),
    ],
)
def test_a_value_that_does_not_fit_is_reported_at_its_place(line, column, message):
    result = check_text(f"{HEAD}  {line}\n{NODES}")
    assert result.network is None
    found = [(d.span.line, d.span.column, d.message) for d in result.diagnostics]
    assert found == [(4, column, message)]


def test_an_unknown_retrained_key_lists_the_known_ones():
    (diagnostic,) = check_text(f"{HEAD}  retrained foo=1\n{NODES}").diagnostics
    assert diagnostic.hint == "expected 'mean', 'runs', 'se'"


def test_the_cost_lines_do_not_change_the_hash():
    plain = parse(HEAD + NODES)
    measured = parse(HEAD + COST + NODES)
    assert measured.header != plain.header
    assert architecture_hash(measured) == architecture_hash(plain)
