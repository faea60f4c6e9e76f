"""Where and how a model runs: device and autocast dtype.

`--precision auto` follows the machine at hand. On CUDA: bf16 autocast where the GPU supports it. On
the CPU: fp32 unless the CPU has native bf16 instructions (AVX512_BF16 or AMX on x86, BF16 on ARM, as
torch's cpuinfo reports them): without them oneDNN emulates bf16 and AssembleNet-50 ran 3-6x slower
than fp32 (an AVX2 machine, docs/measurements.md "CPU settings"). With them, a run that knows its
network (training, `anet eval`, `anet predict`, the search's latency measurement) measures that
network at its shape in both precisions and keeps bf16 only where it pays (`speed_choice`; with
them AssembleNet-50 ran 2.3x faster at 32 x 224 x 224, but the search's proxy network 0.88-1.08x);
a caller without a network falls back on a probe convolution. The choice is said once per process,
with its reason. Memory layout needs no setting: the runtime keeps activations channels-last.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..errors import UserError
from ..host import keep_freed_memory
from .config import Precision, TrainConfig
from .speed_choice import SpeedProbe, fastest_alternating, measured

# cpuinfo's names (torch.cpu.get_capabilities) of the instructions that compute in bf16 natively.
NATIVE_BF16 = ("amx_bf16", "avx512_bf16", "sve_bf16", "bf16")
# The probe: a 3x3 convolution of AssembleNet's level-1 width on 8 frames, channels-last, as the
# runtime runs it: about 2 ms in fp32 on one core, so that the whole probe (oneDNN's first-call
# set-up included) takes well under half a second.
PROBE_SHAPE = (8, 64, 28, 28)
DTYPE_NAMES = {torch.bfloat16: "bf16", torch.float16: "fp16"}
PROBE_ROUNDS = 9
PROBE_BUDGET_S = 0.25


class DeviceError(UserError):
    """A --device that is not a device name, or names one this machine does not have."""


def parse_device(name: str) -> torch.device:
    """`cpu`, `cuda`, `cuda:1`, `mps`, ...: a device this machine has."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"--device {name} is not a device: use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {name}: this machine has no CUDA device (or this PyTorch has no CUDA)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"--device {name}: MPS is not available on this machine")
    return device


@dataclass(frozen=True)
class PrecisionChoice:
    """What a run computes in, and why (shown to the user once per process)."""

    dtype: torch.dtype | None  # the autocast dtype; None: plain fp32
    reason: str

    def describe(self) -> str:
        return "fp32" if self.dtype is None else f"{DTYPE_NAMES.get(self.dtype, str(self.dtype))} autocast"


def native_bf16() -> list[str]:
    """The CPU's native bf16 instruction sets (empty: bf16 would be emulated)."""
    capabilities = torch.cpu.get_capabilities()
    return [name for name in NATIVE_BF16 if capabilities.get(name) is True]


INHERITED_SPEEDUP = "ANET_BF16_SPEEDUP"
PINNED_CHOICE = "ANET_PRECISION_CHOICE"
"""Set in a search's worker processes: the precision the search measured on its first candidate,
as JSON ({"precision": "bf16" or "fp32", "reason": ...}), so that every candidate trains alike."""


@functools.cache
def measured_bf16_speedup() -> float:
    """fp32 time / bf16-autocast time of the probe convolution: above 1, bf16 is faster here.
    Measured once per process, on one thread: what differs between the two is the instructions, and
    a parallel region on a shared machine times the other processes' scheduling instead (2-thread
    calls took 60-150 ms instead of 1 ms next to a busy benchmark). The rounds alternate and the
    fastest of each counts, so that other work on the machine affects both alike."""
    inherited = os.environ.get(INHERITED_SPEEDUP, "")
    with contextlib.suppress(ValueError):
        return float(inherited)
    speedup = _probe()
    # processes started from this one use this measurement instead of each probing at once, next to
    # each other, which measured 0.4x in one of three side-by-side workers once (a search's workers
    # get the choice it measured on its first candidate instead: PINNED_CHOICE)
    os.environ[INHERITED_SPEEDUP] = f"{speedup:.4f}"
    return speedup


def _probe() -> float:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(PROBE_SHAPE[1], PROBE_SHAPE[1], 3, padding=1, bias=False).eval()
    x = torch.randn(PROBE_SHAPE).contiguous(memory_format=torch.channels_last)

    def run(bf16: bool) -> None:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            conv(x)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run(False), run(True)  # oneDNN builds its kernels on the first call of each
        fp32, bf16 = fastest_alternating(
            lambda: run(False), lambda: run(True), rounds=PROBE_ROUNDS, budget_s=PROBE_BUDGET_S, at_least=3
        )
    finally:
        torch.set_num_threads(threads)
    return fp32 / bf16


def cpu_precision(probe: SpeedProbe | None = None) -> PrecisionChoice:
    """`--precision auto` on the CPU: bf16 autocast when the CPU has native bf16 and a measurement
    says it pays: of the network itself when the caller gives it (`probe`), else of the probe
    convolution; a search's pinned choice comes first (`PINNED_CHOICE`)."""
    features = native_bf16()
    if not features:
        return PrecisionChoice(None, "this CPU has no native bf16 instructions (AVX512_BF16, AMX or ARM BF16)")
    pinned = os.environ.get(PINNED_CHOICE)
    if pinned and (probe is None or probe.mode == "training"):
        said = json.loads(pinned)
        return PrecisionChoice(torch.bfloat16 if said["precision"] == "bf16" else None, said["reason"])
    names = "+".join(f.upper() for f in features)
    if probe is not None:
        result, cached = measured(probe, describe_cpu(), on_measure=lambda: announce(MEASURING))
        when = "measured earlier on this machine" if cached else "measured now, kept for the next run"
        reason = f"this CPU has {names} and {result.explain(probe.mode)} ({when})"
        return PrecisionChoice(torch.bfloat16 if result.bf16_pays() else None, reason)
    speedup = measured_bf16_speedup()
    if speedup < 1.0:
        return PrecisionChoice(
            None, f"this CPU has {names}, but a probe convolution ran {speedup:.2f}x as fast in bf16 as in fp32"
        )
    return PrecisionChoice(
        torch.bfloat16, f"this CPU has {names} and a probe convolution ran {speedup:.2f}x faster in bf16"
    )


MEASURING = "anet: precision auto: timing this network in fp32 and in bf16 once (seconds at full size)"


def choose_precision(precision: Precision, device: torch.device, probe: SpeedProbe | None = None) -> PrecisionChoice:
    """The one rule for every command that runs a model (train, eval, predict, the search's workers);
    `probe` is the network as the command will run it, measured where the rule needs a measurement."""
    if precision == "fp32":
        return PrecisionChoice(None, "--precision fp32")
    if precision == "bf16":
        return PrecisionChoice(torch.bfloat16, "--precision bf16")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return PrecisionChoice(torch.bfloat16, "this GPU supports bf16")
        return PrecisionChoice(None, "this GPU does not support bf16")
    if device.type == "cpu":
        return cpu_precision(probe)
    return PrecisionChoice(None, f"no bf16 rule for {device.type}")


_announced: set[str] = set()


def announce(line: str) -> None:
    """Print `line` to stderr the first time this process sees it: a search worker trains many
    candidates with the same choice and says it once."""
    if line not in _announced:
        _announced.add(line)
        print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Placement:
    device: torch.device
    autocast_dtype: torch.dtype | None
    reason: str = ""

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.autocast_dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype):
            yield

    def describe(self) -> str:
        return f"{self.device.type} ({PrecisionChoice(self.autocast_dtype, self.reason).describe()})"


def placement(config: TrainConfig, *, local_rank: int = 0, probe: SpeedProbe | None = None) -> Placement:
    """Device and precision of a run; `--precision auto` says what it chose and why (once). `probe`:
    the run's network as it will run, for `--precision auto` to measure (see `cpu_precision`)."""
    if config.device == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = parse_device(config.device)
    keep_freed_memory()  # every command that runs a model passes here (anet.host says why)
    choice = choose_precision(config.precision, device, probe)
    place = Placement(device, choice.dtype, choice.reason)
    if config.precision == "auto" and local_rank == 0:
        announce(f"anet: precision auto: {choice.describe()} on {device.type}, because {choice.reason}")
    return place


def describe_cpu() -> str:
    """One line for every benchmark figure: what this CPU computes with (torch's cpuinfo)."""
    caps = torch.cpu.get_capabilities()
    bf16 = "+".join(f.upper() for f in native_bf16()) or "none"
    return (
        f"CPU: {caps.get('cpu_name', '?')}, {caps.get('num_logical_cores', '?')} logical cores, "
        f"torch kernels {torch.backends.cpu.get_cpu_capability()}, native bf16: {bf16}, torch {torch.__version__}"
    )
