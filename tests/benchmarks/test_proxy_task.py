"""benchmarks/proxy_task.py's table: per model the mean top-1 over seeds with its range, and the mean
seconds per run."""

from __future__ import annotations


def test_mean_and_range_over_seeds(benchmark_module):
    benchmark = benchmark_module("proxy_task")
    results = [
        benchmark.Trained("single frame, RGB", [0.105, 0.109], [11.6, 12.2]),
        benchmark.Trained(benchmark.MODELS[2][0], [0.293, 0.3265], [49.0, 51.0]),
    ]
    lines = benchmark.task_table(results).markdown().splitlines()
    assert lines[0] == "| model | top-1 (mean, min-max) | s per run |"
    assert lines[2] == "| single frame, RGB | 0.107 (0.105-0.109) | 12 |"
    assert lines[3] == (
        "| 8 frames, RGB + flow, late fusion (`two_stream_late_fusion.anet`) | 0.310 (0.293-0.327) | 50 |"
    )
