"""benchmarks/latency_noise.py's table: per condition the median of the latency figures, their
interquartile range, their range relative to the median and the median spread within a figure."""

from __future__ import annotations

from anet.cost import Cost


def cost(latency: float, runs: tuple[float, ...]) -> Cost:
    return Cost(latency_ms=latency, runs_ms=runs, params=1, flops=1, device="cpu", precision="fp32", host="h")


def test_the_noise_of_the_figures_and_within_each(benchmark_module):
    benchmark = benchmark_module("latency_noise")
    alone = [cost(100.0, (99.0, 100.0, 101.0)), cost(110.0, (110.0,)), cost(90.0, (80.0, 90.0, 100.0))]
    noise = benchmark.noise(alone)
    assert noise == {"median": 100.0, "iqr": 10.0, "range": 0.2, "within": 1.0}
    busy = [cost(150.0, (100.0, 150.0, 300.0))]
    lines = benchmark.noise_table({"alone": alone, "busy": busy}).markdown().splitlines()
    assert lines[2] == "| alone | 3 | 100 | 10 | 20 % | 1 |"
    assert lines[3] == "| busy | 1 | 150 | 0 | 0 % | 100 |"
