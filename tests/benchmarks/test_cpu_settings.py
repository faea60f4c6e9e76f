"""benchmarks/cpu_settings.py's table: per setting the median step against fp32 eager's, per workload
measured, and the loss of the last steps; the compiled settings' compile times below it."""

from __future__ import annotations

import pytest


@pytest.fixture
def benchmark(benchmark_module):
    return benchmark_module("cpu_settings")


def result(benchmark, times, losses=(), first=0.0):
    return benchmark.Result(times=list(times), losses=list(losses), first=first)


def test_the_table_has_a_column_pair_per_workload_and_the_training_loss(benchmark):
    settings = benchmark.settings_for("fp32")
    steps = [2.0, 1.9, 1.85, 1.8, 1.8, 1.8, 1.8, 1.8]
    train = {s.name: result(benchmark, [0.2, 0.202, 0.21], steps) for s in settings}
    train["bf16 autocast"] = result(benchmark, [0.61], [*steps[:-1], 1.81])
    train["inductor: fp32 eager"] = result(benchmark, [0.25], steps, first=199.25)
    infer = {s.name: result(benchmark, [0.357]) for s in settings}
    infer["inductor: fp32 eager"] = result(benchmark, [0.365], first=126.365)
    lines = benchmark.settings_table(settings, train, infer).markdown().splitlines()
    assert lines[0] == "| setting | training step | x fp32 | inference | x fp32 | loss, last 5 of 8 steps |"
    assert lines[2] == "| fp32 eager | 202 ms | 1.00 | 357 ms | 1.00 | 1.8000 |"
    assert lines[3].startswith("| channels_last_3d input | 202 ms |")
    assert lines[4] == "| bf16 autocast | 610 ms | 0.33 | 357 ms | 1.00 | 1.8020 |"
    assert lines[6] == "| `torch.compile` (inductor), fp32 | 250 ms | 0.81 | 365 ms | 0.98 | 1.8000 |"
    times = benchmark.compile_times(settings, train, infer)
    assert times == "`torch.compile` (inductor), fp32 compiled in 199 s for the training step and 126 s for inference."


def test_one_workload_alone_gives_only_its_columns(benchmark):
    settings = benchmark.settings_for("none")
    infer = {s.name: result(benchmark, [0.1]) for s in settings}
    table = benchmark.settings_table(settings, None, infer)
    assert list(table.header) == ["setting", "inference", "x fp32"]
    assert benchmark.compile_times(settings, None, infer) == ""
