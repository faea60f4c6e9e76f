"""`anet export` (published JSON, one node per line, read back by `anet import`) and `anet fmt --diff`
(a dry run, as in black and ruff)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from anet.cli.main import anet
from anet.dsl import architecture_hash, load

ROOT = Path(__file__).parents[2]
A50 = ROOT / "examples" / "assemblenet50.anet"


def test_published_json_has_one_node_per_line_and_reads_back(tmp_path):
    result = CliRunner().invoke(anet, ["export", str(A50)])
    assert result.exit_code == 0 and result.exception is None, result.output
    lines = result.output.splitlines()
    structure = json.loads(result.output)["structure"]
    assert len(lines) < 3 * len(structure) + 12  # not one number per line
    assert json.dumps(structure[6]) in lines[lines.index(' "structure": [') + 7]
    path = tmp_path / "a50.json"
    path.write_text(result.output)
    back = tmp_path / "a50.anet"
    result = CliRunner().invoke(anet, ["import", str(path), "--name", "a50", "--classes", "339", "-o", str(back)])
    assert result.exit_code == 0, result.output
    assert architecture_hash(load(back)) == architecture_hash(load(A50))


def test_fmt_diff_changes_nothing(tmp_path):
    messy = tmp_path / "messy.anet"
    original = A50.read_text().replace("block 4 level=1 in=[1] C=32 r=1", "block 4   level=1 in=[ 1 ]  C=32 r=1")
    assert original != A50.read_text()
    messy.write_text(original)
    result = CliRunner().invoke(anet, ["fmt", "--diff", str(messy)])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert (
        "-block 4   level=1 in=[ 1 ]  C=32 r=1" in result.output and "+block 4 level=1 in=[1] C=32 r=1" in result.output
    )
    assert messy.read_text() == original
    result = CliRunner().invoke(anet, ["fmt", str(messy)])
    assert result.exit_code == 0 and messy.read_text() != original
