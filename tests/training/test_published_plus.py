"""The published AssembleNet++ structures, as shipped in examples/, go through the whole toolkit
unchanged: they train (the proxy gives the 151-class object stem its maps with `objects=151`), write
their learned peer weights back into a file that checks, evaluate and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from anet.cli.main import anet
from anet.dsl import load, validate

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.slow
@pytest.mark.parametrize(
    "example, data",
    [
        ("assemblenet_plus50.anet", "proxy:objects=151,train=8,val=8"),
        ("assemblenet_plus_lite.anet", "proxy:train=8,val=8"),
    ],
)
def test_a_published_assemblenet_plus_trains_writes_back_peers_and_exports(tmp_path: Path, example, data) -> None:
    out = tmp_path / "run"
    args = ["--out", str(out), "--width", "0.125", "--size", "32", "--frames", "4", "--iterations", "2"]
    trained = CliRunner().invoke(anet, ["train", str(EXAMPLES / example), "--data", data, *args, "--batch-size", "2"])
    assert trained.exit_code == 0, trained.output
    learned = load(out / "learned.anet")
    assert not [d for d in validate(learned) if d.is_error]
    with_peers = [b for b in learned.blocks if b.peers is not None]
    assert with_peers and all(p.weight is not None for b in with_peers for p in b.peers)
    for block in with_peers:  # softmax probabilities, one list per block
        assert sum(p.weight for p in block.peers) == pytest.approx(1.0, abs=1e-5)
    assert CliRunner().invoke(anet, ["eval", str(out)]).exit_code == 0
    exported = CliRunner().invoke(anet, ["export", str(out), "--format", "onnx", "-o", str(tmp_path / "m.onnx")])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "m.onnx").stat().st_size > 0
