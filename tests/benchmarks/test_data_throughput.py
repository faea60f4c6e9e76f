"""benchmarks/data_throughput.py's table: clips/s per source, shape and worker count; a source's long name
on its first row only, rates with one decimal below 100."""

from __future__ import annotations


def test_sources_named_once_and_rates_rounded_by_size(benchmark_module):
    benchmark = benchmark_module("data_throughput")
    rows = [
        ("proxy", (8, 32), [1010.2, 633.4, 923.0]),
        ("proxy", (32, 224), [9.04, 8.8, 19.44]),
        ("mp4 originals", (8, 112), [10.1, 10.5, 15.2]),
        ("mp4 originals", (32, 224), [3.5, 3.7, 6.0]),
    ]
    lines = benchmark.throughput_table(rows, [0, 1, 2]).markdown().splitlines()
    assert lines[0] == "| source | clip | 0 workers | 1 worker | 2 workers |"
    assert lines[1] == "| --- | --- | ---: | ---: | ---: |"
    assert lines[2] == "| proxy task, rendered | 8 x 32 | 1010 | 633 | 923 |"
    assert lines[3] == "| proxy task, rendered | 32 x 224 | 9.0 | 8.8 | 19.4 |"
    assert lines[4] == "| mp4 as shipped (640x272 to 1280x720, few keyframes) | 8 x 112 | 10.1 | 10.5 | 15.2 |"
    assert lines[5] == "| mp4 as shipped | 32 x 224 | 3.5 | 3.7 | 6.0 |"
