"""benchmarks/openmp_wait.py's table: one row per workload and number of copies, the median of each
setting's rounds."""

from __future__ import annotations


def test_one_row_per_case_and_a_column_per_setting(benchmark_module):
    benchmark = benchmark_module("openmp_wait")
    anet, passive, default = benchmark.SETTINGS
    times = {}
    for (kind, copies), values in {("proxy", 1): (0.98, 2.43, 0.89), ("proxy", 3): (8.03, 5.93, 15.16)}.items():
        for name, value in zip((anet, passive, default), values, strict=True):
            times[(kind, copies, name)] = [value, value + 1.0, value - 0.5]  # median: the value
    full = zip((anet, passive, default), (1.06, 1.26, 0.98), strict=True)
    times |= {("full", 1, name): [value] for name, value in full}
    lines = benchmark.wait_table(times).markdown().splitlines()
    assert lines[0] == (
        "| workload | copies | anet (`GOMP_SPINCOUNT=2000`) | passive (`OMP_WAIT_POLICY=PASSIVE`) "
        "| libgomp default (~300,000 spins) |"
    )
    assert lines[2] == "| 10 proxy training steps (width 1/8, 8 x 8 x 48 x 48, fp32) | 1 | 0.98 s | 2.43 s | 0.89 s |"
    assert lines[3] == "| the same | 3 | 8.03 s | 5.93 s | 15.16 s |"
    assert lines[4] == "| bf16 forward, AssembleNet-50, 1 x 32 x 224 x 224 | 1 | 1.06 s | 1.26 s | 0.98 s |"
