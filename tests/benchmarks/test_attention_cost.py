"""benchmarks/attention_cost.py: AssembleNet-50 without, with self- and with peer-attention, measured
side by side (a tiny clip here), in one table with the ratios against `attention none`."""

from __future__ import annotations

from pathlib import Path

from anet.dsl import load

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "assemblenet50.anet"


def test_three_variants_measured_and_tabled(benchmark_module):
    benchmark = benchmark_module("attention_cost")
    variants = benchmark.measure(load(EXAMPLE), frames=2, size=32, repeats=2)
    assert [v.mode for v in variants] == ["none", "self", "peer"]
    assert variants[0].parameters < variants[1].parameters < variants[2].parameters
    assert variants[0].flops < variants[1].flops < variants[2].flops  # the dense layers' matrix products
    assert all(len(v.times) == 2 and min(v.times) > 0 for v in variants)
    lines = benchmark.table(variants).markdown().splitlines()
    assert lines[0] == "| AssembleNet-50 | parameters | GFLOPs | min ms | median ms | min / none | median / none |"
    assert lines[2].startswith("| `attention none` | 37,273,875 |") and lines[2].endswith("| 1.000 | 1.000 |")
    assert lines[4].startswith("| `attention peer` | 44,935,079 |")


def test_ratios_against_attention_none(benchmark_module):
    benchmark = benchmark_module("attention_cost")
    variants = [
        benchmark.Variant(mode, 10, 2e9, times)
        for mode, times in [("none", (1.0, 2.0, 1.5)), ("peer", (1.2, 2.4, 1.8))]
    ]
    assert benchmark.table(variants).markdown().splitlines()[3] == (
        "| `attention peer` | 10 | 2.0 | 1200 | 1800 | 1.200 | 1.200 |"
    )
