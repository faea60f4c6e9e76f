"""A network's deployment cost, measured: the latency of what `anet predict` runs (the inference copy,
BN folded, in the precision `auto` chooses), with its spread, FLOPs and parameters. The search
journals one `Cost` per candidate and ranks by it, so the figure must be the deployed model's, not
the training model's."""

from __future__ import annotations

import socket
import statistics
import time

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch.utils.flop_counter import FlopCounterMode

from ..compiler import compile_to_module
from ..dsl import parse
from ..errors import UserError
from ..host import keep_freed_memory
from ..runtime import inference_copy
from ..training.device import Placement, choose_precision
from .deploy import DeployTarget
from .flops import required_inputs
from .synthetic import NOMINAL_FLOPS_PER_MS, synthetic_work


class Cost(BaseModel):
    """One network's cost at one `DeployTarget`: what the journal's `measured` event holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(ge=0)  # median of runs_ms
    runs_ms: tuple[float, ...] = Field(min_length=1)  # every timed run after the warm-up, in order
    params: int = Field(ge=0)  # of the built model, before BN is folded (as `anet info` counts them)
    flops: int = Field(ge=0)  # one forward at the deploy shape (torch's FlopCounterMode total)
    device: str  # "cpu: AMD EPYC 9R14, AVX512, 2 threads" / "cuda: NVIDIA H100 80GB HBM3"
    precision: str  # what the target's precision chose: "fp32" or "bf16 autocast" (synthetic: as asked)
    host: str  # which machine measured (Ray workers measure on their own)
    synthetic: bool = False  # True: `synthetic_cost`'s stand-in, not a measurement

    @property
    def spread_ms(self) -> float:
        """The interquartile range of the runs (0 for one run)."""
        if len(self.runs_ms) < 2:
            return 0.0
        first, _, third = statistics.quantiles(self.runs_ms, n=4, method="inclusive")
        return third - first

    @property
    def gflops(self) -> float:
        return self.flops / 1e9


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
    choice = choose_precision(target.precision, device)
    place = Placement(device, choice.dtype, choice.reason)
    module = compile_to_module(parse(text), text)
    model = module.build_model().eval()
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
