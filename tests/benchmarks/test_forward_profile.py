"""benchmarks/forward_profile.py: every operator event of the profiled forward goes to one part (the
operator the model called, or the flow layer), the parts add up to the forward, and the table has
every row; at a tiny size (a few seconds)."""

from __future__ import annotations

import torch
from torch.profiler import ProfilerActivity, profile, record_function


def test_operators_go_to_the_part_of_the_operator_the_model_called(benchmark_module):
    benchmark = benchmark_module("forward_profile")
    part = benchmark.part_of
    assert [part("aten::conv2d"), part("aten::mkldnn_convolution"), part("aten::_convolution")] == ["convolutions"] * 3
    assert [part("aten::relu_"), part("aten::add_"), part("aten::clamp_min_"), part("aten::addcmul")] == ["glue"] * 4
    assert [part("aten::max_pool2d"), part("aten::mean")] == ["pooling"] * 2
    assert [part("aten::view"), part("aten::linear")] == ["other"] * 2


def test_the_parts_add_up_to_the_profiled_range(benchmark_module):
    benchmark = benchmark_module("forward_profile")
    x, w = torch.rand(1, 4, 16, 16), torch.rand(4, 4, 3, 3)
    with profile(activities=[ProfilerActivity.CPU]) as prof, record_function(benchmark.FORWARD):
        y = torch.nn.functional.conv2d(x, w, padding=1).relu_()
        with record_function(benchmark.FLOW):
            (y * 2).add_(1).amax()
        torch.nn.functional.max_pool2d(y, 2).view(-1)
    parts = benchmark.parts_of(list(prof.events()))
    assert set(parts) == set(benchmark.PARTS)
    assert min(parts["convolutions"], parts["glue"], parts["flow layer"], parts["pooling"], parts["other"]) > 0
    forward = next(e for e in prof.events() if e.name == benchmark.FORWARD)
    assert abs(sum(parts.values()) - forward.cpu_time_total / 1e6) < 1e-5


def test_a_tiny_run_gives_every_row_and_shares_that_add_up(benchmark_module):
    benchmark = benchmark_module("forward_profile")
    args = benchmark.parse_args(["--frames", "4", "--size", "32", "--repeats", "1", "--width", "0.25"])
    args.precision = "both"  # bf16 too, native or not: at this size emulation costs nothing much
    measured = benchmark.run(args)
    assert list(measured) == ["fp32", "bf16"]
    lines = benchmark.share_table(measured).markdown().splitlines()
    assert lines[0] == "| part of the forward | fp32 ms | fp32 share | bf16 ms | bf16 share |"
    rows = {line.split(" | ")[0].removeprefix("| "): line.strip("| ").split(" | ")[1:] for line in lines[2:]}
    labels = list(benchmark.PARTS.values())
    assert list(rows)[: len(labels)] == labels
    assert "forward with the flow given, `flow=` (median)" in rows and "flow layer alone (median)" in rows
    for column in (1, 3):  # the shares of fp32, of bf16
        shares = [float(rows[label][column].removesuffix(" %")) for label in labels]
        assert abs(sum(shares) - 100) < 0.5, shares
        assert float(rows[benchmark.PARTS["convolutions"]][column].removesuffix(" %")) > 0
        assert float(rows[benchmark.PARTS["flow layer"]][column].removesuffix(" %")) > 0
