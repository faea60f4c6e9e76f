"""A network's deployment cost, measured: the latency of what `anet predict` runs (the inference copy,
BN folded, in the precision `auto` chooses), with its spread, FLOPs and parameters. The search
journals one `Cost` per candidate and ranks by it, so the figure must be the deployed model's, not
the training model's."""

from __future__ import annotations

import socket
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..compiler import compile_to_module
from ..dsl import parse
from ..errors import UserError
from ..host import keep_freed_memory
from ..runtime import inference_copy
from ..training.device import Placement, choose_precision
from ..training.speed_choice import network_probe
from .deploy import DeployTarget
from .flops import required_inputs
from .record import Cost
from .synthetic import NOMINAL_FLOPS_PER_MS, synthetic_work


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    name = torch.cpu.get_capabilities().get("cpu_name", "unknown CPU")
    threads = torch.get_num_threads()
    return f"cpu: {name}, {torch.backends.cpu.get_cpu_capability()}, {threads} thread{'s' if threads > 1 else ''}"


def synchronize(device: torch.device) -> None:
    """Wait for the GPU's queued work, so that a timed run ends when its forward does."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_cost(text: str, target: DeployTarget) -> Cost:
    """Time the network of `text` (a whole .anet file) at `target`: batch 1, its required inputs at
    frames x size, `warmup` untimed runs (the first counts the FLOPs), then `repeats` timed ones, on
    all of torch's threads. Raises on failure: the search records why."""
    if target.device == "cuda" and not torch.cuda.is_available():
        raise UserError("deploy device cuda: this machine has no CUDA device (or this PyTorch has no CUDA)")
    device = torch.device(target.device)
    keep_freed_memory()  # as `anet predict` runs (anet.host says why)
    network = parse(text)
    module = compile_to_module(network, text)
    model = module.build_model().eval()
    probe = network_probe(model, network, "inference", batch=1, frames=target.frames, size=target.size)
    choice = choose_precision(target.precision, device, probe)  # `anet predict`'s choice for this network
    place = Placement(device, choice.dtype, choice.reason)
    params = sum(p.numel() for p in model.parameters())
    model = inference_copy(model.to(device), place.autocast_dtype)
    inputs = {k: v.to(device) for k, v in required_inputs(module, target.frames, target.size).items()}

    def forward() -> None:
        with torch.inference_mode(), place.autocast():
            model(**inputs)
        synchronize(device)

    def counted() -> int:
        counter = FlopCounterMode(display=False)
        with counter:
            forward()
        return counter.get_total_flops()

    flops = counted() if target.warmup else None
    for _ in range(target.warmup - 1):
        forward()
    synchronize(device)
    runs = []
    for _ in range(target.repeats):
        start = time.perf_counter()
        forward()
        runs.append((time.perf_counter() - start) * 1e3)
    if flops is None:  # no warm-up asked for: count after the timed runs, which are then cold
        flops = counted()
    return Cost(
        latency_ms=statistics.median(runs),
        runs_ms=tuple(runs),
        params=params,
        flops=flops,
        device=describe_device(device),
        precision=choice.describe(),
        host=socket.gethostname(),
    )


def synthetic_cost(text: str, target: DeployTarget) -> Cost:
    """`synthetic_work` of the network of `text` as a cost at `target` (2 FLOPs per multiply-add,
    every run alike); `synthetic` says it measured nothing."""
    params, per_pixel = synthetic_work(parse(text))
    flops = round(2 * per_pixel * target.frames * target.size**2)
    latency = flops / NOMINAL_FLOPS_PER_MS
    return Cost(
        latency_ms=latency,
        runs_ms=(latency,) * target.repeats,
        params=params,
        flops=flops,
        device="synthetic",
        precision=target.precision,
        host="synthetic",
        synthetic=True,
    )
