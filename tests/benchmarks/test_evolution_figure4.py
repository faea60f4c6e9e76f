"""benchmarks/evolution_figure4.py's table and targets from hand-made curves: per strategy each seed's
final value, their mean +- SE and the children's; guided against the others by twice the SE."""

from __future__ import annotations


def test_strategy_table_and_targets(benchmark_module):
    benchmark = benchmark_module("evolution_figure4")
    curves = {
        "guided": [[1.0, 1.2, 1.3], [1.0, 1.25, 1.36]],
        "standard": [[1.0, 1.1, 1.2], [1.0, 1.15, 1.22]],
        "random": [[1.0, 1.05, 1.1], [1.0, 1.08, 1.12]],
    }
    finals = {s: benchmark.mean_se([run[-1] for run in runs]) for s, runs in curves.items()}
    children = {s: {"mean": 1.2, "se": 0.01} for s in curves}
    lines = benchmark.strategy_table(finals, curves, children).markdown().splitlines()
    assert lines[0] == (
        "| strategy | final mean top-3 fitness, per seed | mean +- SE | mean fitness of its children +- SE |"
    )
    assert lines[2] == "| connection-learning-guided | 1.300, 1.360 | 1.330 +- 0.030 | 1.200 +- 0.010 |"
    assert lines[3].startswith(
        "| standard evolution (a third of the edges at random) | 1.200, 1.220 | 1.210 +- 0.010 |"
    )
    guided_curve = [1.0, 1.225, 1.33]
    found, said = benchmark.targets(finals, curves, guided_curve)
    assert found["guided_minus_standard"]["met"] and found["guided_minus_random"]["met"]
    assert found["guided_reaches_random_final_at_round"] == 1
    assert said[-1] == "guided reaches random search's final 1.110 at round 1 of 2 (target <= 1: met)"
    _, said = benchmark.targets(finals, curves, [1.0, 1.0, 1.05])
    assert said[-1].endswith("at round never of 2 (target <= 1: **missed**)")
