"""`--precision auto` on a CPU with native bf16: measured on the run's own network, at its shape.

A probe convolution ran 1.8x faster in bf16 on an AMD EPYC with AVX512_BF16, yet the search's proxy
network (width 1/8, 8 x 48 x 48 clips) trained 0.88-1.08x as fast in bf16 there: with small
activations the time goes to the elementwise glue, the flow layer and the casts autocast adds, which
bf16 does not speed up. Whether bf16 pays depends on the network, the clip and the machine, so anet
measures the network itself, the way the run will use it (:class:`SpeedProbe`): its inference copy
for `anet predict`, `anet eval` and the search's latency measurement, one training step for
training. fp32 and bf16 run alternately after one warm-up each (oneDNN builds its kernels on a
first call), and the fastest run of each counts, so that other load on the machine hits both alike.
bf16 is chosen when it is at least ``MARGIN`` faster (a tie keeps fp32's accuracy) and, for
inference, when its logits lie within ``TOLERANCE`` of fp32's.

The measurement is kept in the user's cache (``precision.json`` in :func:`anet.files.user_cache_dir`)
under the architecture hash, the mode, the input shapes, the thread count and the machine (CPU
name, torch's kernel capability, native bf16 instructions, torch version), so that the next run of
the same network at the same shape does not pay it again. Two processes writing at once may lose
one of their entries (each file write is whole): it is measured again next time.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, ValidationError
from torch import Tensor, nn

from ..dsl import Network, architecture_hash
from ..files import user_cache_dir, write_atomic
from ..runtime import inference_copy

__all__ = [
    "MARGIN",
    "TOLERANCE",
    "Measurement",
    "SpeedProbe",
    "example_inputs",
    "fastest_alternating",
    "input_shapes",
    "measure",
    "measured",
    "network_probe",
]

Mode = Literal["inference", "training"]
MARGIN = 1.05
"""bf16 must run at least this much faster than fp32 to be chosen."""
TOLERANCE = 0.05
"""Largest |bf16 - fp32| logit difference, as a fraction of the largest fp32 logit, that inference accepts."""
ROUNDS = 5
BUDGET_S = 2.0
"""Timed rounds go on up to ``ROUNDS`` while this much time has not passed; one round always runs."""
CACHE_FILE = "precision.json"


class DeclaredInput(Protocol):
    """What a compiled network says about one of its inputs (``module.INPUTS``, ``network.inputs``)."""

    name: str
    channels: int
    required: bool


def example_inputs(shapes: dict[str, tuple[int, ...]]) -> dict[str, Tensor]:
    """Random inputs of these shapes: run time does not depend on the values."""
    generator = torch.Generator().manual_seed(0)
    return {name: torch.rand(shape, generator=generator) for name, shape in shapes.items()}


def input_shapes(
    declared: Sequence[DeclaredInput], *, batch: int, frames: int, size: int
) -> dict[str, tuple[int, ...]]:
    """The shape of every required input of a network at this clip (flow from RGB is left to the
    network to compute, as in a run)."""
    return {i.name: (batch, i.channels, frames, size, size) for i in declared if i.required}


@dataclass(frozen=True)
class SpeedProbe:
    """A network as a run will use it: what `--precision auto` measures before choosing. The inputs
    are made only when it is measured (a full-size batch is large)."""

    model: nn.Module
    shapes: dict[str, tuple[int, ...]]  # input name -> shape (`input_shapes`)
    mode: Mode
    architecture: str  # the architecture hash: the cache's key, with the shapes and the machine

    def key(self, machine: str) -> str:
        """The cache's key: the network, how it runs, its input shapes, the threads and `machine`
        (a line naming the CPU's instructions and torch's version)."""
        shapes = " ".join(f"{k}={'x'.join(map(str, v))}" for k, v in sorted(self.shapes.items()))
        return f"{self.architecture} | {self.mode} | {shapes} | {torch.get_num_threads()} threads | {machine}"


def network_probe(model: nn.Module, network: Network, mode: Mode, *, batch: int, frames: int, size: int) -> SpeedProbe:
    """`model`, built from `network`, run as `mode` on batches of `batch` clips of frames x size x size."""
    shapes = input_shapes(network.inputs, batch=batch, frames=frames, size=size)
    return SpeedProbe(model, shapes, mode, architecture_hash(network))


class Measurement(BaseModel):
    """One network's fp32 and bf16 times (seconds, the fastest run of each) and, for inference, the
    bf16 logits' largest difference from fp32's as a fraction of the largest fp32 logit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fp32_s: float
    bf16_s: float
    error: float | None = None
    measured: str = ""  # when (ISO date), for a reader of the cache file

    @property
    def speedup(self) -> float:
        return self.fp32_s / self.bf16_s

    def bf16_pays(self) -> bool:
        return self.speedup >= MARGIN and (self.error is None or self.error <= TOLERANCE)

    def explain(self, mode: Mode) -> str:
        what = "a training step" if mode == "training" else "a forward"
        said = f"{what} of this network at this shape ran {self.speedup:.2f}x as fast in bf16 as in fp32"
        if self.error is not None and self.error > TOLERANCE:
            return f"{said}, but its logits differed by {self.error:.1%} (more than {TOLERANCE:.0%})"
        if not self.bf16_pays():
            return f"{said} (bf16 needs {MARGIN:.2f}x)"
        return said


def measured(
    probe: SpeedProbe, machine: str, *, on_measure: Callable[[], None] = lambda: None
) -> tuple[Measurement, bool]:
    """The probe's measurement on `machine` (see `SpeedProbe.key`) and whether it came from the
    cache (else `on_measure` is called, and it is measured and kept)."""
    path = user_cache_dir() / CACHE_FILE
    key = probe.key(machine)
    entries = _read(path)
    if key in entries:
        return entries[key], True
    on_measure()
    result = measure(probe)
    entries = _read(path)  # another process may have written meanwhile
    entries[key] = result
    with contextlib.suppress(OSError):  # no cache: measured again next time
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({k: v.model_dump() for k, v in entries.items()}, indent=1, sort_keys=True)
        write_atomic(path, text + "\n", durable=False)
    return result, False


def _read(path: Path) -> dict[str, Measurement]:
    """The cache's entries; a missing, unreadable or damaged file is an empty cache."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): Measurement.model_validate(v) for k, v in raw.items()}
    except (OSError, ValueError, AttributeError, ValidationError):
        return {}


def measure(probe: SpeedProbe) -> Measurement:
    """Time the probe's network in fp32 and in bf16 autocast, alternately (see the module docstring).
    Runs on copies: the model, its BN statistics and torch's random state are left as they were."""
    inputs = example_inputs(probe.shapes)
    with torch.random.fork_rng(devices=[]):
        if probe.mode == "inference":
            fp32, bf16 = _inference_runs(probe.model, inputs)
        else:
            fp32, bf16 = _training_runs(probe.model, inputs)
        reference, low = fp32(), bf16()  # warm-ups
        fp32_s, bf16_s = fastest_alternating(fp32, bf16, rounds=ROUNDS, budget_s=BUDGET_S, at_least=1)
    error = None
    if probe.mode == "inference":
        scale = reference.abs().max().clamp_min(1e-12)
        error = float((low.float() - reference.float()).abs().max() / scale)
    today = datetime.date.today().isoformat()
    return Measurement(fp32_s=fp32_s, bf16_s=bf16_s, error=error, measured=today)


def fastest_alternating(
    fp32: Callable[[], object], bf16: Callable[[], object], *, rounds: int, budget_s: float, at_least: int
) -> tuple[float, float]:
    """The fastest of each of two runs timed in turn (already warmed up), so that load on the machine
    hits both alike: `at_least` rounds, then more up to `rounds` while `budget_s` has not passed."""
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + budget_s
    while len(times[0]) < at_least or (len(times[0]) < rounds and time.perf_counter() < deadline):
        for run, spent in zip((fp32, bf16), times, strict=True):
            start = time.perf_counter()
            run()
            spent.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def _inference_runs(model: nn.Module, inputs: dict[str, Tensor]) -> tuple[Callable[[], Tensor], ...]:
    """The inference copies that `anet predict` and `anet eval` run, one per precision."""

    def run(dtype: torch.dtype | None) -> Callable[[], Tensor]:
        frozen = inference_copy(model, dtype)

        def forward() -> Tensor:
            with torch.inference_mode(), _autocast(dtype):
                return frozen(**inputs)

        return forward

    return run(None), run(torch.bfloat16)


def _training_runs(model: nn.Module, inputs: dict[str, Tensor]) -> tuple[Callable[[], Tensor], ...]:
    """Forward and backward of a training-mode copy (the optimiser step costs the same in both)."""
    trained = copy.deepcopy(model).train()

    def run(dtype: torch.dtype | None) -> Callable[[], Tensor]:
        def step() -> Tensor:
            trained.zero_grad(set_to_none=True)
            with _autocast(dtype):
                logits = trained(**inputs)
            loss = F.cross_entropy(logits.float(), torch.zeros(logits.shape[0], dtype=torch.long))
            loss.backward()
            return loss.detach()

        return step

    return run(None), run(torch.bfloat16)


@contextlib.contextmanager
def _autocast(dtype: torch.dtype | None) -> Iterator[None]:
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        yield
