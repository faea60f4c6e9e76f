"""Checkpoints that survive a crash mid-write and are verified when read back.

Written to a temporary file, fsync'd, then renamed over the old one, so the directory always holds
a complete checkpoint. Each checkpoint carries the sha256 of its content (every tensor's bytes, dtype
and shape, and every other value), recomputed on load: a checkpoint damaged on disk (flipped bytes in a
tensor, which torch.load does not notice) is refused instead of resuming training on garbage. The
file stays an ordinary `torch.load`-able dict; checkpoints written before the checksum existed still
load, with a warning that they cannot be verified. The temporary file of
a write that a crash interrupted is deleted when a run starts in that directory.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import UserError
from ..files import write_atomic

CHECKPOINT = "checkpoint.pt"
CHECKSUM_KEY = "sha256"
# What every anet checkpoint holds (training writes more: optimizer, scheduler, step, history).
REQUIRED_KEYS = ("model", "architecture")

log = logging.getLogger(__name__)


class CheckpointError(UserError):
    """A checkpoint that cannot be used: damaged, not a checkpoint, or of another model."""


def content_digest(state: Any) -> str:
    """sha256 of a checkpoint's content, independent of how torch laid out the file."""
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().contiguous()
            digest.update(f"T{tensor.dtype}{tuple(tensor.shape)};".encode())
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            digest.update(f"D{len(value)};".encode())
            for key, item in value.items():
                feed(key)
                feed(item)
        elif isinstance(value, list | tuple):
            digest.update(f"{type(value).__name__}{len(value)};".encode())
            for item in value:
                feed(item)
        else:  # numbers, strings, booleans, None: their repr is exact
            digest.update(f"{type(value).__name__}:{value!r};".encode())

    feed(state)
    return digest.hexdigest()


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({**state, CHECKSUM_KEY: content_digest(state)}, buffer)
    write_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict[str, Any]:
    """The verified content of an anet checkpoint, or a `CheckpointError` that names the file.

    Tensors, numbers, strings, lists and dicts only (weights_only): a checkpoint cannot run code.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:
        if exc.filename is not None:  # the file itself cannot be opened: the OS's message says why
            raise
        raise _unreadable(path, exc) from None
    except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, UnicodeError) as exc:
        raise _unreadable(path, exc) from None
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED_KEYS):
        raise CheckpointError(f"{path} is not an anet checkpoint (it holds no {' and '.join(REQUIRED_KEYS)})")
    stored = state.pop(CHECKSUM_KEY, None)
    if stored is None:
        log.warning("%s has no checksum (written by an older anet), so it cannot be verified", path)
    elif stored != content_digest(state):
        raise CheckpointError(
            f"{path} is damaged: its content does not match the checksum stored when it was written; "
            "use another checkpoint or train again"
        )
    return state


def _unreadable(path: Path, exc: Exception) -> CheckpointError:
    """torch.load's errors are long and name no file; keep the first sentence of the reason."""
    if isinstance(exc, pickle.UnpicklingError):
        reason = "not a PyTorch file"
    else:
        reason = str(exc).strip().split(". ")[0].splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return CheckpointError(
        f"{path} is not a readable checkpoint (empty, truncated, damaged or another kind of file): {reason}"
    )


def load_model_state(model: nn.Module, state: dict[str, Any], path: Path) -> None:
    """Load the checkpoint's weights into `model`, or say in one line why they do not fit."""
    weights: dict[str, torch.Tensor] = state["model"]
    own = model.state_dict()
    missing = [key for key in own if key not in weights]
    unexpected = [key for key in weights if key not in own]
    reshaped = [key for key in own if key in weights and weights[key].shape != own[key].shape]
    if missing or unexpected or reshaped:
        trained = state.get("config", {})
        settings = ", ".join(f"{k} {trained[k]}" for k in ("width", "frames", "size") if trained.get(k) is not None)
        if reshaped:
            key = reshaped[0]
            example = f"{key} is {list(weights[key].shape)} there, {list(own[key].shape)} here"
        else:
            example = f"{(missing or unexpected)[0]} is {'missing' if missing else 'extra'} there"
        raise CheckpointError(
            f"{path} was trained with another width, data (number of classes) or architecture: "
            f"{len(reshaped) + len(missing) + len(unexpected)} of {len(own)} tensors do not fit ({example}); "
            f"it was trained with {settings or 'its own settings'}"
            + (f" on data {state['data']!r}" if state.get("data") else "")
        )
    model.load_state_dict(weights)


def remove_temporaries(directory: Path) -> list[Path]:
    """Delete what a crash inside a checkpoint write left behind (`.checkpoint.pt.*.tmp`, never
    renamed into place). Only the process that owns the directory may (`anet train` holds its lock):
    another one's write in progress looks the same. Returns them."""
    stale = [p for p in directory.glob(f".{CHECKPOINT}.*.tmp") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
