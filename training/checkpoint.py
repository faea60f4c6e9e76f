"""Checkpoints that survive a crash mid-write: written to a temporary file, fsync'd, then renamed
over the old one, so the directory always holds a complete checkpoint. The temporary file of a
write that a crash interrupted is deleted when a run starts in that directory."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from anet.dsl.files import write_atomic

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Tensors, numbers, strings, lists and dicts only (weights_only): a checkpoint cannot run code."""
    return torch.load(path, map_location="cpu", weights_only=True)


def remove_temporaries(directory: Path) -> list[Path]:
    """Delete what a crash inside a checkpoint write left behind (`.checkpoint.pt.*.tmp`, never
    renamed into place). Only the process that owns the directory may (`anet train` holds its lock):
    another one's write in progress looks the same. Returns them."""
    stale = [p for p in directory.glob(f".{CHECKPOINT}.*.tmp") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
