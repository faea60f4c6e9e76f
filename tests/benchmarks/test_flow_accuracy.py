"""benchmarks/flow_accuracy.py's tables: EPE and outliers per setting and size against OpenCV TV-L1's
EPE; the cost table with the model rows only where the model was timed."""

from __future__ import annotations

import pytest


@pytest.fixture
def benchmark(benchmark_module):
    return benchmark_module("flow_accuracy")


def measured(benchmark, forward=None):
    errors = {
        "quarter": {benchmark.COMPUTED: (8.33, 0.863), benchmark.BF16: (1.15, 0.113), benchmark.TVL1: (0.995, 0.099)},
        "half": {benchmark.COMPUTED: (17.01, 0.991), benchmark.BF16: (float("nan"), 0.5), benchmark.TVL1: (1.76, 0.18)},
    }
    clip = {
        benchmark.COMPUTED: 0.3,
        benchmark.PYRAMID: 0.44,
        benchmark.EXTRACT_PYRAMID: 1.72,
        benchmark.EXTRACT_DIS: 0.11,
    }
    return benchmark.Measured(errors, {"quarter": 8.557, "half": 17.154}, clip, forward or {})


def test_accuracy_rows_compare_with_opencv_tvl1_and_show_nan(benchmark):
    lines = benchmark.accuracy_table(measured(benchmark)).markdown().splitlines()
    assert (
        lines[0] == "| setting | quarter size: EPE, > 3 px | half size: EPE, > 3 px | x OpenCV TV-L1 (quarter, half) |"
    )
    assert lines[2] == "| `flow computed` | 8.33 px, 86.3 % | 17.01 px, 99.1 % | 8.37, 9.66 |"
    assert lines[3] == "| the same iteration in bfloat16 | 1.15 px, 11.3 % | NaN, 50.0 % | 1.16, NaN |"
    assert lines[4].endswith("| 0.99 px, 9.9 % | 1.76 px, 18.0 % | 1.00, 1.00 |")


def test_cost_without_the_model_and_with_it(benchmark):
    quick = benchmark.accuracy_body(measured(benchmark), threads=1)
    assert "predicting\nzero motion gives 8.56 / 17.15 px" in quick
    assert "Cost (1 torch thread):" in quick
    assert "| the same clip: `anet flow extract`, tvl1 / pyramid / dis | not timed / 1.72 s / 0.11 s |" in quick
    assert "AssembleNet-50 forward" not in quick
    forward = {
        "fp32": {"flow given": 3.84, "layer alone": 0.4531, "flow pyramid": 3.85, "flow computed": 4.0},
        "bf16": {"flow given": 1.69, "layer alone": 0.4326, "flow pyramid": 2.229, "flow computed": 1.9},
    }
    lines = benchmark.cost_table(measured(benchmark, forward)).markdown().splitlines()
    assert lines[5].endswith("with flow given (no layer), fp32 / bf16 autocast | 3.84 s / 1.69 s |")
    assert lines[6] == (
        "| what `flow pyramid` adds to it (the layer alone), fp32 / bf16 (target <= 35 %) | 11.8 % / 25.6 % |"
    )
    assert lines[7].endswith("(flow pyramid minus flow given), fp32 / bf16 | 0.3 % / 31.9 % |")
