"""benchmarks/lsp_latency.py: a change's diagnostics and a hover's round trip through a real `anet lsp`
subprocess; here one round on a small example, and the table's arithmetic on made-up times."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from anet.lsp.publishing import DEBOUNCE_S

ROOT = Path(__file__).resolve().parents[2]


def test_hover_goes_to_the_last_nodes_id(benchmark_module):
    benchmark = benchmark_module("lsp_latency")
    text = (ROOT / "examples" / "assemblenet101.anet").read_text(encoding="utf-8")
    position = benchmark.last_node_position(text)
    line = text.split("\n")[position.line]
    assert line.startswith("block 14 ") and position.character == len("block ")
    assert benchmark.last_node_position("network n\nstem s0 in=[rgb] C=8 r=1\n") == lsp.Position(line=1, character=5)


def test_two_rounds_through_the_server(benchmark_module):
    benchmark = benchmark_module("lsp_latency")
    text = (ROOT / "examples" / "two_stream_late_fusion.anet").read_text(encoding="utf-8")
    case = benchmark.Case("late fusion", text, 2, targets=True, figures=True)
    lone, second, fresh, again, shown = asyncio.run(benchmark.through_server(case))
    assert [p.step.split(" ")[0] for p in (lone, second, fresh, again, shown)] == [
        "didChange",
        "didChange",
        "hover",
        "hover",
        "change",
    ]
    assert all(len(p.times) == 2 and min(p.times) > 0 for p in (lone, second, fresh, again, shown))
    # a lone edit is checked at once; a burst's second key waits until DEBOUNCE_S after the first's check
    assert max(lone.times) < DEBOUNCE_S and min(second.times) > DEBOUNCE_S / 2
    assert (lone.target, second.target, fresh.target) == (
        benchmark.DIAGNOSTICS_TARGET_S,
        None,
        benchmark.HOVER_TARGET_S,
    )
    assert min(shown.times) > max(fresh.times)  # the figures come after the first hover


def test_table_medians_percentiles_and_verdicts(benchmark_module):
    benchmark = benchmark_module("lsp_latency")
    probes = [
        benchmark.Probe("f", "fast", (0.010, 0.030, 0.020), 0.050),
        benchmark.Probe("f", "slow", tuple(0.001 * i for i in range(1, 11)), 0.004),
        benchmark.Probe("f", "untargeted", (1.0,)),
    ]
    assert probes[1].median == pytest.approx(0.0055) and probes[1].p90 == pytest.approx(0.009)
    rows = benchmark.table(probes).markdown().splitlines()[2:]
    assert rows[0] == "| f | fast | 20.0 ms | 30.0 ms | 3 | <= 50 ms | 0.40 | ok |"
    assert rows[1] == "| f | slow | 5.5 ms | 9.0 ms | 10 | <= 4 ms | 1.38 | **missed** |"
    assert rows[2] == "| f | untargeted | 1000.0 ms | 1000.0 ms | 1 |  |  |  |"
