"""benchmarks/flow_share.py's table: the share inside the forward (hooks) against the target, then the
layer's own times: inference path, autograd path and the authors' port against ours."""

from __future__ import annotations


def test_the_share_and_the_layer_times_in_one_table(benchmark_module):
    benchmark = benchmark_module("flow_share")
    times = {
        "whole": [1.0, 1.2, 1.1],
        "hooks": [0.063, 0.08, 0.06],  # shares 6.3 %, 6.7 %, 5.5 %
        "flow given": [0.94, 1.1, 1.0],
        "flow alone": [0.333, 0.34, 0.33],
        "autograd": [2.12],
        "authors": [4.229],
    }
    lines = benchmark.share_table(times).markdown().splitlines()
    assert lines[2] == (
        "| share of AssembleNet-50's forward time in the flow layer (hooks, median) | 6.3 % (target < 25 %: ok) |"
    )
    assert lines[3] == "| flow layer alone, our tensor code (inference path) | 333 ms |"
    assert lines[4] == "| the same layer with autograd (training path, forward only) | 2120 ms |"
    assert lines[5] == (
        "| a direct port of the authors' formulation (masks and convolutions per iteration) | 4229 ms (12.7x ours) |"
    )
    shares = benchmark.shares(times)
    assert round(shares["alone"], 4) == round(0.333 / 1.1, 4)
    assert round(shares["difference"], 4) == round(1 - 1.0 / 1.1, 4)


def test_without_the_baseline_and_above_the_target(benchmark_module):
    benchmark = benchmark_module("flow_share")
    times = {"whole": [1.0], "hooks": [0.4], "flow given": [0.6], "flow alone": [0.4]}
    lines = benchmark.share_table(times, "`x.anet`").markdown().splitlines()
    assert lines[2].endswith("| 40.0 % (target < 25 %: **missed**) |") and "`x.anet`'s forward" in lines[2]
    assert len(lines) == 4
