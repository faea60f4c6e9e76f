"""Checkpoints: the stored checksum catches damage torch.load does not, and every unusable file is a
`CheckpointError` that names it."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from anet.training.checkpoint import (
    CHECKSUM_KEY,
    CheckpointError,
    content_digest,
    load_checkpoint,
    load_model_state,
    save_checkpoint,
)


def _state() -> dict:
    model = nn.Linear(64, 32)
    return {
        "model": model.state_dict(),
        "architecture": "abc123",
        "step": 7,
        "history": [{"step": 1, "loss": 0.5}],
        "config": {"width": 0.25, "frames": None, "precision": "fp32"},
        "bf16": torch.ones(3, dtype=torch.bfloat16),
    }


def _flip_in_largest_tensor(path: Path, count: int = 64) -> None:
    with zipfile.ZipFile(path) as archive:
        info = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length + info.file_size // 2
    data[start : start + count] = bytes(b ^ 0x5A for b in data[start : start + count])
    path.write_bytes(bytes(data))


def test_round_trip_is_verified_and_exact(tmp_path):
    state = _state()
    save_checkpoint(tmp_path / "c.pt", state)
    loaded = load_checkpoint(tmp_path / "c.pt")
    assert CHECKSUM_KEY not in loaded
    assert content_digest(loaded) == content_digest(state)
    assert torch.equal(loaded["model"]["weight"], state["model"]["weight"])
    # still an ordinary PyTorch file
    assert CHECKSUM_KEY in torch.load(tmp_path / "c.pt", weights_only=True)


def test_flipped_bytes_inside_a_tensor_are_refused(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, _state())
    _flip_in_largest_tensor(path)
    torch.load(path, weights_only=True)  # what made this dangerous: torch reads it without complaint
    with pytest.raises(CheckpointError, match=rf"{path} is damaged"):
        load_checkpoint(path)


def test_the_digest_sees_every_kind_of_change():
    state = _state()
    digest = content_digest(state)
    for change in (
        {"step": 8},
        {"history": [{"step": 1, "loss": 0.25}]},
        {"bf16": torch.ones(3, dtype=torch.float16)},
        {"bf16": torch.ones(1, 3, dtype=torch.bfloat16)},
        {"config": {"width": 0.25, "frames": 0, "precision": "fp32"}},
    ):
        assert content_digest(state | change) != digest, change


@pytest.mark.parametrize(
    "content",
    [b"", b"model weights\n", b"PK\x03\x04" + bytes(100), "truncated"],
    ids=["empty", "text", "bad-zip", "truncated"],
)
def test_unreadable_files_name_the_file(tmp_path, content):
    path = tmp_path / "c.pt"
    if content == "truncated":
        save_checkpoint(path, _state())
        content = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=rf"{path} is not a readable checkpoint"):
        load_checkpoint(path)


def test_other_pytorch_files_are_not_checkpoints(tmp_path):
    for name, obj in (("t.pt", torch.zeros(2)), ("d.pt", {"weights": torch.zeros(2)})):
        torch.save(obj, tmp_path / name)
        with pytest.raises(CheckpointError, match=rf"{tmp_path / name} is not an anet checkpoint"):
            load_checkpoint(tmp_path / name)


def test_checkpoints_without_a_checksum_load_with_a_warning(tmp_path, caplog):
    buffer = io.BytesIO()
    torch.save(_state(), buffer)  # as anet wrote them before checksums
    (tmp_path / "old.pt").write_bytes(buffer.getvalue())
    with caplog.at_level(logging.WARNING, logger="anet"):
        loaded = load_checkpoint(tmp_path / "old.pt")
    assert loaded["step"] == 7
    assert "old.pt has no checksum" in caplog.text and "cannot be verified" in caplog.text


def test_weights_of_another_shape_are_one_message(tmp_path):
    state = _state()
    with pytest.raises(CheckpointError) as error:
        load_model_state(nn.Linear(64, 16), state, tmp_path / "c.pt")
    message = str(error.value)
    assert "\n" not in message and "2 of 2 tensors do not fit" in message
    assert "weight is [32, 64] there, [16, 64] here" in message and "width 0.25" in message
    with pytest.raises(CheckpointError, match="missing there"):
        load_model_state(nn.Sequential(nn.Linear(64, 32)), state, tmp_path / "c.pt")
    model = nn.Linear(64, 32)
    load_model_state(model, state, tmp_path / "c.pt")
    assert torch.equal(model.weight, state["model"]["weight"])
