"""benchmarks/edge_signal.py's tables from hand-made trained-model records (as OUT/*.json keeps them):
the learned weights' spread, agreement and informativeness per multiplier, and BN re-estimation."""

from __future__ import annotations

import argparse

import pytest


@pytest.fixture
def benchmark(benchmark_module):
    return benchmark_module("edge_signal")


def run(weights, top1, std=0.1, fitness=1.0, lowest=0.28, highest=0.19):
    bn = {str(b): {"top1": top1 + b / 1000, "fitness": fitness + b / 1000} for b in (0, 8, 32, 64)}
    spread = [abs(w - 0.5) > 0.1 for w in weights]
    return {
        "weights": weights,
        "std": std,
        "far": sum(spread) / len(spread),
        "min": min(weights),
        "max": max(weights),
        "bn": bn,
        "without_lowest": {"top1": lowest},
        "without_highest": {"top1": highest},
    }


def test_weights_table_per_multiplier(benchmark):
    runs = {
        1.0: [run([0.45, 0.5, 0.55], 0.25, 0.04), run([0.44, 0.51, 0.56], 0.27, 0.048)],  # same order: agreement 1
        10.0: [run([0.2, 0.5, 0.8], 0.3, 0.25), run([0.8, 0.5, 0.12], 0.31, 0.27, highest=0.15)],  # reversed: -1
    }
    rows = benchmark.weight_rows(runs)
    assert rows["1"]["agreement"] == pytest.approx(1.0) and rows["10"]["agreement"] == pytest.approx(-1.0)
    lines = benchmark.signal_table(rows, "`anet evolve` default: 200 it, 48 px", 5).markdown().splitlines()
    assert lines[0] == (
        "| proxy training | logit lr | weight std | farther than 0.1 from 0.5 | range | seed agreement (Spearman) "
        "| top-1, all edges | without lowest 5 | without highest 5 |"
    )
    assert lines[1] == "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"
    assert lines[2] == (
        "| `anet evolve` default: 200 it, 48 px | x1 (paper) | 0.044 | 0 % | 0.44-0.56 | 1.00 | 0.292 | 0.280 | 0.190 |"
    )
    assert lines[3] == "|  | **x10** (default) | 0.260 | 67 % | 0.12-0.80 | -1.00 | 0.337 | 0.280 | 0.170 |"
    assert benchmark.multiplier("30") == "x30"


def test_bn_table_and_the_training_named_by_its_settings(benchmark):
    runs = [run([0.4, 0.6], 0.26, fitness=1.0), run([0.3, 0.7], 0.27, fitness=1.1)]
    lines = benchmark.bn_table(runs).markdown().splitlines()
    assert lines[0] == "| BN statistics | running | 8 batches | 32 batches | 64 batches |"
    assert lines[2] == "| top-1 | 0.265 | 0.273 | 0.297 | 0.329 |"
    assert lines[3] == "| fitness | 1.050 | 1.058 | 1.082 | 1.114 |"
    assert benchmark.bn_ranks(runs) == {8: pytest.approx(1.0), 32: pytest.approx(1.0), 64: pytest.approx(1.0)}
    default = argparse.Namespace(iterations=200, size=48, data="proxy")
    assert benchmark.training_label(default) == "`anet evolve` default: 200 it, 48 px"
    cheaper = argparse.Namespace(iterations=120, size=32, data="proxy:train=1024,val=256,size=32,seed=7")
    assert benchmark.training_label(cheaper) == "120 it, 32 px"
