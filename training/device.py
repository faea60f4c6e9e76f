"""Where and how a model runs: device and autocast dtype.

Defaults come from `benchmarks/cpu_settings.py` (measured side by side in one run, README table):
on this project's AVX2 CPUs bf16 autocast is 3-6x slower than fp32, so "auto" means fp32 on the CPU
(`--precision bf16` remains available for CPUs with bf16 instructions); on CUDA, bf16 autocast where
the GPU supports it. Memory layout needs no setting: the runtime keeps activations channels-last.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from anet.errors import UserError
from anet.training.config import TrainConfig


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
class Placement:
    device: torch.device
    autocast_dtype: torch.dtype | None

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.autocast_dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype):
            yield

    def describe(self) -> str:
        precision = (
            "fp32" if self.autocast_dtype is None else f"{str(self.autocast_dtype).removeprefix('torch.')} autocast"
        )
        return f"{self.device.type} ({precision})"


def placement(config: TrainConfig, *, local_rank: int = 0) -> Placement:
    if config.device == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = parse_device(config.device)
    if config.precision == "fp32":
        dtype = None
    elif config.precision == "bf16":
        dtype = torch.bfloat16
    elif device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    else:
        dtype = None
    return Placement(device, dtype)
