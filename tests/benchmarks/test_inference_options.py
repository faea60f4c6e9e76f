"""benchmarks/inference_options.py's table: every option's time against conv then BN, the fold at the
smaller sizes, freed memory pair by pair, the flow layer's dtypes, and the compile rows with --compile."""

from __future__ import annotations

import pytest


@pytest.fixture
def benchmark(benchmark_module):
    return benchmark_module("inference_options")


def options(benchmark, *, compiled: bool):
    b = benchmark
    four = (b.UNFOLDED, b.FOLD, b.FOLD_ALL, b.COPY)
    folds = {
        b.FULL: {b.UNFOLDED: 0.983, b.FOLD: 0.901, b.FOLD_ALL: 0.930, b.COPY: 0.887, b.POST_OP: 0.907},
        b.MEDIUM: dict(zip(four, (0.0841, 0.0842, 0.0874, 0.07), strict=True)),
        b.PROXY: dict(zip(four, (0.0232, 0.0232, 0.0254, 0.0178), strict=True)),
    }
    memory = [
        b.MemoryRun(False, 0.956, 53216, 1171.2),
        b.MemoryRun(True, 0.938, 0, 1171.4),
        b.MemoryRun(False, 1.017, 42256, 1170.9),
        b.MemoryRun(True, 0.975, 0, 1171.0),
    ]
    times = {"fp32": 0.156, "bf16": 0.242}
    flow = b.FlowLayer(times, {"fp32": 8.331, "bf16": 8.334})
    whole = None
    if compiled:
        flow.times |= {"whole layer eager": 0.163, "whole layer compiled": 0.678, "iterations compiled": 0.135}
        flow.layer_compile, flow.steps_compile = 5.2, 21.0
        whole = b.WholeCompiled(50.3, 1.05, 1.605)
    return b.Options(folds, memory, flow, whole)


def test_every_option_against_conv_then_bn(benchmark):
    rows = {row[0]: row[1:] for row in benchmark.options_table(options(benchmark, compiled=False), 2**20).rows}
    assert rows["forward with flow given: conv then BN"] == ("983 ms", "")
    fold = "the same, BN folded at every call from 2^20 output elements (a model in eval mode)"
    assert rows[fold] == ("901 ms (1.09x)", "yes")
    assert rows["the same, BN folded at every call at every size"] == ("930 ms (1.06x)", "")
    medium = "1 x 8 x 112 x 112, flow given: conv then BN / folded from 2^20 / folded at every size / inference copy"
    assert rows[medium] == ("84.1 / 84.2 / 87.4 / 70.0 ms", "")
    assert (
        rows["proxy model (width 1/8, 8 x 8 x 48 x 48), flow given: the same four"][0] == "23.2 / 23.2 / 25.4 / 17.8 ms"
    )
    memory = "whole forward, fresh processes, freed memory not kept / kept (2 pairs)"
    assert rows[memory] == ("956 / 938 ms, 1017 / 975 ms", "kept")
    assert rows["page faults per forward, not kept / kept"][0] == "53,216 / 0, 42,256 / 0"
    assert rows["peak memory, not kept / kept"][0] == "1171 / 1171 MB, 1171 / 1171 MB"
    assert rows["flow layer, 31 pairs of 224 x 224: fp32 / bf16"] == ("156 / 242 ms", "fp32")
    assert rows["its endpoint error on the motorcycle pair (quarter size): fp32 / bf16"][0] == "8.33 / 8.33 px"
    assert not any("torch.compile" in what for what in rows)


def test_compile_rows_and_a_threshold_that_is_no_power_of_two(benchmark):
    table = benchmark.options_table(options(benchmark, compiled=True), 100_000)
    rows = [list(row) for row in table.rows]
    assert "from 100,000 output elements" in rows[1][0]
    assert rows[-3] == ["flow layer eager / `torch.compile` (5 s to compile)", "163 / 678 ms", "eager"]
    assert rows[-2][1:] == ["135 ms (1.16x)", "no"] and "(fused by inductor; 21 s to compile)" in rows[-2][0]
    assert rows[-1] == [
        "whole forward eager / `torch.compile` with inductor's freezing (50 s to compile)",
        "1050 / 1605 ms",
        "eager",
    ]
    assert table.markdown().splitlines()[1] == "| --- | ---: | --- |"
