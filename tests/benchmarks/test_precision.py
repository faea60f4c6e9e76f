"""benchmarks/precision.py's table: per workload and precision, medians against fp32's, the flow layer's
share, whole / layers alone; times in ms under a second, in s above."""

from __future__ import annotations


def test_the_table_names_each_workload_once_and_compares_with_fp32(benchmark_module):
    benchmark = benchmark_module("precision")
    figures = benchmark.Figures
    proxy = {
        "fp32": figures(
            inference=[0.033, 0.035], flow=[0.01366, 0.0145], training=[0.117], whole=[0.03], layers=0.0196
        ),
        "bf16": figures(inference=[0.0375], flow=[0.0158], training=[0.121875], whole=[0.034], layers=0.02),
    }
    full = {
        "fp32": figures(inference=[1.73], flow=[0.166], training=[8.17], whole=[1.5], layers=1.389),
        "bf16": figures(inference=[1.02], flow=[0.18], training=[4.44], whole=[0.9], layers=0.714),
    }
    measured = {benchmark.WORKLOADS["proxy"]: proxy, benchmark.WORKLOADS["full"]: full}
    lines = benchmark.precision_table(measured).markdown().splitlines()
    assert lines[0] == (
        "| workload | precision | inference | x fp32 | flow share | training step | x fp32 | whole / layers alone |"
    )
    assert lines[2] == "| proxy: width 1/8, 8 x 8 x 48 x 48 | fp32 | 34 ms | 1.00 | 41.4 % | 117 ms | 1.00 | 1.53 |"
    assert lines[3] == "|  | bf16 | 38 ms | 0.91 | 42.1 % | 122 ms | 0.96 | 1.70 |"
    assert lines[4] == "| AssembleNet-50, 1 x 32 x 224 x 224 | fp32 | 1.73 s | 1.00 | 9.6 % | 8.17 s | 1.00 | 1.08 |"
    assert lines[5] == "|  | bf16 | 1.02 s | 1.70 | 17.6 % | 4.44 s | 1.84 | 1.26 |"
