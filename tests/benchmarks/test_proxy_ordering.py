"""benchmarks/proxy_ordering.py's table: per network, mean +- SE over training seeds; evolved networks
named by strategy, run and candidate."""

from __future__ import annotations


def test_ordering_table_and_evolved_labels(benchmark_module):
    benchmark = benchmark_module("proxy_ordering")
    guided = benchmark.evolved_label("guided", "guided-seed3/c00012", 1.3791, first=True)
    standard = benchmark.evolved_label("standard", "standard-seed2/c00022", 1.379, first=False)
    assert guided == "best of guided evolution (`guided-seed3/c00012`, search fitness 1.379)"
    assert standard == "best of standard evolution (`standard-seed2/c00022`, 1.379)"
    results = {"two-stream late fusion": [(0.18, 0.88), (0.2, 0.9)], guided: [(0.4, 1.28), (0.42, 1.3)]}
    lines = benchmark.ordering_table(results).markdown().splitlines()
    assert lines[0] == "| network | top-1 | fitness (top-1 + top-5) |"
    assert lines[2] == "| two-stream late fusion | 0.190 +- 0.010 | 0.890 +- 0.010 |"
    assert lines[3] == f"| {guided} | 0.410 +- 0.010 | 1.290 +- 0.010 |"
