"""Linear warm-up then cosine decay to zero, per iteration (the paper's schedule)."""

from __future__ import annotations

import math

import torch


def lr_factor(step: int, *, total: int, warmup: int) -> float:
    """Multiplier of the peak learning rate at `step` (0-based)."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def warmup_cosine(optimizer: torch.optim.Optimizer, *, total: int, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, total=total, warmup=warmup))
