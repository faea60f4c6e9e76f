"""A kill during a checkpoint write leaves the temporary file of `write_atomic` (never renamed
into place); `anet train` deletes such leftovers when it starts or resumes in that directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from anet.cli.main import anet
from anet.training.checkpoint import CHECKPOINT, load_checkpoint

pytestmark = pytest.mark.slow  # trains through the command line

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "two_stream_fusion_lv4.anet")
ARGS = ["--data", "proxy:train=8,val=8", "--batch-size", "4", "--width", "0.0625", "--frames", "4", "--size", "32"]


def test_train_removes_the_temporary_files_of_interrupted_checkpoint_writes(tmp_path):
    """A run killed while writing its first checkpoint: no checkpoint, two partial temporaries."""
    out = tmp_path / "run"
    out.mkdir()
    stale = [out / f".{CHECKPOINT}.k1ll3d.tmp", out / f".{CHECKPOINT}.x_y_z9.tmp"]
    for path in stale:
        path.write_bytes(b"PK\x03\x04" + bytes(1000))  # the start of a zip, as torch.save writes
    other = out / ".notes.tmp"  # not a checkpoint's: left alone
    other.write_text("mine")
    result = CliRunner().invoke(anet, ["train", EXAMPLE, *ARGS, "--out", str(out), "--iterations", "1"])
    assert result.exit_code == 0, result.output
    assert not [p for p in stale if p.exists()]
    assert other.read_text() == "mine"
    assert load_checkpoint(out / CHECKPOINT)["step"] == 1
