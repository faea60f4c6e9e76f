"""Where and how a model runs: device, autocast dtype, memory format.

Defaults come from `benchmarks/cpu_settings.py` (measured side by side in one run): on CPU, bf16
autocast with channels_last_3d tensors is the fastest setting that still trains (see the README
table); on CUDA, bf16 autocast where the GPU supports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from anet.training.config import TrainConfig


@dataclass(frozen=True)
class Placement:
    device: torch.device
    autocast_dtype: torch.dtype | None
    channels_last: bool

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
        layout = ", channels_last" if self.channels_last else ""
        return f"{self.device.type} ({precision}{layout})"


def cpu_supports_bf16() -> bool:
    """bf16 autocast is only fast where the CPU has bf16 or AVX-512 instructions (oneDNN)."""
    return torch.backends.mkldnn.is_available() and bool(
        getattr(torch.backends.cpu, "get_cpu_capability", lambda: "")() in ("AVX512", "AVX512_BF16", "AMX")
    )


def placement(config: TrainConfig, *, local_rank: int = 0) -> Placement:
    if config.device == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(config.device)
    if config.precision == "fp32":
        dtype = None
    elif config.precision == "bf16":
        dtype = torch.bfloat16
    elif device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    else:
        dtype = torch.bfloat16 if cpu_supports_bf16() else None
    channels_last = config.channels_last if config.channels_last is not None else dtype is not None
    return Placement(device, dtype, channels_last)
