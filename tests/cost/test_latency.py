"""anet.cost's deployment cost: a measured `Cost` holds what `anet info` counts for the same network
and the runs it timed; the deploy target parses `--deploy-shape`; the synthetic stand-in is
deterministic and grows with channels and clip size. No assertion is about speed."""

from __future__ import annotations

import socket
import statistics

import pytest
import torch
from anet_strategies import networks
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_training import TINY

from anet.compiler import compile_to_module
from anet.cost import Cost, DeployTarget, measure_cost, summarize, synthetic_cost
from anet.dsl import Network, format_network, parse
from anet.errors import UserError
from anet.training.device import choose_precision
from anet.training.speed_choice import network_probe

# Two streams, flow computed in the model, three fusions: a few milliseconds per forward at 4 x 32.
NARROW = TINY.replace("  classes 8\n", "  classes 8\n  width 0.125\n")
FLOW_INPUT = NARROW.replace("  width 0.125\n", "  width 0.125\n  flow input\n")
SMALL = DeployTarget(frames=4, size=32, precision="fp32", repeats=3)


def info_totals(text: str, target: DeployTarget) -> tuple[int, int]:
    """(parameters, FLOPs) as `anet info` totals them at the target's shape."""
    rows = summarize(parse(text), text, frames=target.frames, size=target.size)
    return sum(r.parameters for r in rows), sum(r.flops for r in rows)


@pytest.mark.parametrize("text", [NARROW, FLOW_INPUT], ids=["flow computed", "flow input"])
def test_a_measured_cost_holds_its_runs_and_what_anet_info_counts(text: str):
    cost = measure_cost(text, SMALL)
    assert len(cost.runs_ms) == SMALL.repeats and all(run > 0 for run in cost.runs_ms)
    assert cost.latency_ms == statistics.median(cost.runs_ms)
    assert cost.spread_ms >= 0
    params, flops = info_totals(text, SMALL)
    assert cost.params == params
    assert cost.flops > 0 and abs(cost.flops - flops) <= 0.01 * flops
    assert cost.gflops == cost.flops / 1e9
    assert cost.device.startswith("cpu: ") and cost.device.endswith(f", {torch.get_num_threads()} thread")
    assert cost.precision == "fp32" and cost.host == socket.gethostname() and not cost.synthetic


def test_the_precision_is_recorded_as_chosen_and_does_not_change_the_flops():
    bf16 = measure_cost(NARROW, SMALL.model_copy(update={"precision": "bf16", "repeats": 1}))
    assert bf16.precision == "bf16 autocast"
    auto = measure_cost(NARROW, SMALL.model_copy(update={"precision": "auto", "repeats": 1}))
    network = parse(NARROW)  # auto measured this network at this shape; the same question gets its answer
    model = compile_to_module(network, NARROW).build_model()
    probe = network_probe(model, network, "inference", batch=1, frames=SMALL.frames, size=SMALL.size)
    assert auto.precision == choose_precision("auto", torch.device("cpu"), probe).describe()
    assert bf16.flops == auto.flops == info_totals(NARROW, SMALL)[1]


def test_without_a_warm_up_the_flops_are_still_counted():
    cost = measure_cost(NARROW, SMALL.model_copy(update={"warmup": 0, "repeats": 2}))
    assert len(cost.runs_ms) == 2 and cost.flops == info_totals(NARROW, SMALL)[1]


def test_cuda_without_a_gpu_is_refused_by_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match=r"^deploy device cuda: this machine has no CUDA device"):
        measure_cost(NARROW, SMALL.model_copy(update={"device": "cuda"}))


def test_the_spread_is_the_interquartile_range():
    def cost(runs: tuple[float, ...]) -> Cost:
        return Cost(latency_ms=3.0, runs_ms=runs, params=1, flops=1, device="d", precision="fp32", host="h")

    assert cost((5.0, 1.0, 4.0, 2.0, 3.0)).spread_ms == 2.0
    assert cost((7.0,)).spread_ms == 0.0
    with pytest.raises(ValueError, match="runs_ms"):
        cost(())


def test_deploy_shape_text():
    target = DeployTarget.from_shape("32x224")
    assert (target.frames, target.size, target.shape) == (32, 224, "32x224")
    assert target == DeployTarget()
    assert DeployTarget.from_shape("8x112", device="cuda", repeats=3) == DeployTarget(
        frames=8, size=112, device="cuda", repeats=3
    )


@pytest.mark.parametrize("text", ["32-224", "32x", "x224", "32x224x2", "", "thirtytwo", "32 x 224", "-1x224"])
def test_a_deploy_shape_that_is_not_frames_x_size_says_so(text: str):
    with pytest.raises(ValueError) as raised:
        DeployTarget.from_shape(text)
    assert str(raised.value) == f"deploy shape '{text}' is not FRAMESxSIZE, e.g. 32x224"


@pytest.mark.parametrize(("text", "field"), [("0x224", "frames"), ("32x4", "size")])
def test_a_deploy_shape_out_of_range_names_the_field(text: str, field: str):
    with pytest.raises(ValueError, match=field):
        DeployTarget.from_shape(text)


def narrowed(network: Network, index: int) -> Network:
    """`network` with node `index` at half its channels (still within every budget)."""
    nodes = list(network.nodes)
    nodes[index] = nodes[index].model_copy(update={"channels": max(1, nodes[index].channels // 2)})
    return network.model_copy(
        update={"nodes": tuple(nodes), "header": network.header.model_copy(update={"hash": None})}
    )


@settings(max_examples=40, deadline=None)
@given(networks(with_trivia=False), st.data())
def test_the_synthetic_cost_is_deterministic_and_grows_with_channels(network: Network, data: st.DataObject):
    text = format_network(network.model_copy(update={"header": network.header.model_copy(update={"hash": None})}))
    target = DeployTarget(frames=data.draw(st.integers(1, 32)), size=data.draw(st.integers(8, 224)))
    cost = synthetic_cost(text, target)
    assert cost == synthetic_cost(text, target)
    assert cost.synthetic and cost.host == cost.device == "synthetic"
    assert cost.runs_ms == (cost.latency_ms,) * target.repeats and cost.spread_ms == 0
    smaller = synthetic_cost(
        format_network(narrowed(network, data.draw(st.integers(0, len(network.nodes) - 1)))), target
    )
    assert smaller.params <= cost.params and smaller.flops <= cost.flops and smaller.latency_ms <= cost.latency_ms


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 64), st.integers(8, 320)), min_size=2, max_size=2))
def test_the_synthetic_cost_grows_with_frames_times_size_squared(shapes: list[tuple[int, int]]):
    (f1, s1), (f2, s2) = sorted(shapes, key=lambda shape: shape[0] * shape[1] ** 2)
    small, large = (synthetic_cost(NARROW, DeployTarget(frames=f, size=s)) for f, s in ((f1, s1), (f2, s2)))
    assert small.flops <= large.flops and small.latency_ms <= large.latency_ms
    assert small.params == large.params


def test_the_synthetic_cost_is_strictly_larger_for_a_wider_network():
    wide = TINY.replace("block a level=1 in=[s_rgb, s_flow] C=64", "block a level=1 in=[s_rgb, s_flow] C=128")
    narrow, wider = synthetic_cost(TINY, SMALL), synthetic_cost(wide, SMALL)
    assert narrow.params < wider.params and narrow.flops < wider.flops and narrow.latency_ms < wider.latency_ms
