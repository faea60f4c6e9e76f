"""benchmarks/compiler_overhead.py's recording of the layers a forward runs: in inference the
convolutions with BN folded in (and no BN), in training the conv modules and their BN."""

from __future__ import annotations

from pathlib import Path

import torch

from anet.compiler import compile_file
from anet.runtime import layers
from anet.runtime.layers import ConvBN

ROOT = Path(__file__).parents[2]


def test_record_calls_sees_the_convolutions_inference_runs_and_the_bn_training_runs(monkeypatch, benchmark_module):
    monkeypatch.setattr(layers, "FOLD_MIN_ELEMENTS", 0)  # fold at this tiny size too, as at full size
    benchmark = benchmark_module("compiler_overhead")
    torch.manual_seed(0)
    model = compile_file(ROOT / "examples" / "two_stream_late_fusion.anet").build_model(width=0.0625)
    inputs = {"rgb": torch.rand(1, 3, 3, 32, 32)}
    units = [m for m in model.modules() if isinstance(m, ConvBN)]
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]

    def kinds(training: bool) -> dict[str, int]:
        model.train(training)
        calls = benchmark.record_calls(model, inputs, training=training)
        return {kind: sum(c.kind == kind for c in calls) for kind in ("conv", "bn")}

    assert kinds(False) == {"conv": len(convs), "bn": 0}  # every conv once, BN folded into it
    assert kinds(True) == {"conv": len(convs), "bn": len(units)}
    assert torch.nn.functional.conv2d is benchmark.CONV2D  # the recording put the function back


def test_the_table_gives_best_times_both_ratios_and_a_verdict_against_the_target(benchmark_module):
    benchmark = benchmark_module("compiler_overhead")
    inference = benchmark.Overhead("inference", 4.841, 4.89, 4.126, 4.26, profiled_ratio=1.081)
    training = benchmark.Overhead("training step", 0.177, 0.18, 0.162, 0.165)
    missed = benchmark.Overhead("slow", 1.3, 1.3, 1.0, 1.0)
    lines = benchmark.overhead_table([inference, training, missed]).markdown().splitlines()
    assert lines[0] == "| workload | whole model | layers alone | ratio (min / median) | target <= 1.15 |"
    assert lines[2] == "| inference | 4841 ms | 4126 ms | 1.17 / 1.15 | at the edge |"
    assert lines[3] == "| training step | 177 ms | 162 ms | 1.09 / 1.09 | ok |"
    assert lines[4] == "| slow | 1300 ms | 1000 ms | 1.30 / 1.30 | **missed** |"
    body = benchmark.overhead_body([inference, training])
    assert body.endswith("\n\ntorch.profiler, inference: all operators / (conv + BN + pool) = 1.08")
    assert "training step: all operators" not in body  # not profiled
