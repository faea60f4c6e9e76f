"""`anet info` (anet.cost): one table row per node, and totals equal to the built model's parameter
count."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from click.testing import CliRunner

from anet.cli.main import anet
from anet.compiler import compile_file

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "assemblenet50.anet")
LITE = str(Path(__file__).parents[2] / "examples" / "assemblenet_plus_lite.anet")
ROW = re.compile(r"^│\s*(\S+)\s*│\s*(.*?)\s*│\s*([\d,]+)\s*│\s*([\d.]+)\s*│$")


def table_rows(output: str) -> list[tuple[str, str, int, float]]:
    rows = []
    for line in output.splitlines():
        if m := ROW.match(line.strip()):
            rows.append((m[1], m[2], int(m[3].replace(",", "")), float(m[4])))
    return rows


def test_info_rows_and_totals_match_the_built_model():
    result = CliRunner().invoke(anet, ["info", EXAMPLE, "--frames", "4", "--size", "64"])
    assert result.exit_code == 0, result.output
    assert "batch 1 x 4 frames x 64x64" in result.output
    rows = table_rows(result.output)
    names = [r[0] for r in rows]
    assert names == [str(i) for i in range(15)] + ["(flow)", "(head)", "total"]
    kinds = dict((r[0], r[1]) for r in rows)
    assert kinds["0"] == "rgb stem" and kinds["2"] == "flow stem"
    assert kinds["4"] == "level 1 block" and kinds["14"] == "level 4 block"

    with torch.device("meta"):
        model = compile_file(EXAMPLE).build_model()

    def params(attr: str) -> int:
        module = getattr(model, attr, None)
        return 0 if module is None else sum(p.numel() for p in module.parameters())

    for name, _, count, _ in rows[:15]:
        assert count == params(f"node_{name}") + params(f"fuse_{name}"), name
    assert rows[15][2] == 0 and rows[16][2] == params("head")
    total = sum(p.numel() for p in model.parameters())
    assert rows[-1][2] == total == sum(r[2] for r in rows[:-1])
    assert abs(rows[-1][3] - sum(r[3] for r in rows[:-1])) < 0.01
    # FLOPs: an RGB stem at 4 x 64 x 64 is a 7x7 conv 3->32 and a temporal conv (5) 32->32, both
    # at 32x32 per frame; one multiply-add is 2 FLOPs
    stem_flops = 2 * 4 * 32 * 32 * (7 * 7 * 3 * 32 + 5 * 32 * 32)
    assert rows[0][3] == round(stem_flops / 1e9, 3)


def test_info_width_option_narrows_the_model():
    result = CliRunner().invoke(anet, ["info", EXAMPLE, "--frames", "2", "--size", "32", "--width", "0.125"])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    with torch.device("meta"):
        model = compile_file(EXAMPLE).build_model(width=0.125)
    assert rows[-1][2] == sum(p.numel() for p in model.parameters())


def test_info_of_the_published_lite_network():
    """AssembleNet++lite: rows add up to the built model; the lite stem's and head's FLOPs are their convs'."""
    result = CliRunner().invoke(anet, ["info", LITE, "--frames", "4", "--size", "64"])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert [r[0] for r in rows] == [str(i) for i in range(11)] + ["(flow)", "(head)", "total"]
    kinds = {r[0]: r[1] for r in rows}
    assert kinds["1"] == "flow stem" and kinds["10"] == "level 4 block"
    assert kinds["(head)"] == "1x1 convs + pooling + linear"
    with torch.device("meta"):
        model = compile_file(LITE).build_model()
    assert rows[-1][2] == sum(p.numel() for p in model.parameters()) == sum(r[2] for r in rows[:-1])
    assert rows[-2][2] == sum(p.numel() for p in model.head.parameters())
    # RGB stem at 4 x 64 x 64: a 3x3 conv 3->24 with stride 2 and a temporal conv (3) 24->24, both
    # at 32x32 per frame; the head: 1x1 convs 192->432->2048 at 2x2 per frame (stride 2 at every
    # level), then one Linear 2048->157; a multiply-add is 2 FLOPs
    stem = 2 * 4 * 32 * 32 * (9 * 3 * 24 + 3 * 24 * 24)
    head = 2 * 4 * 2 * 2 * (192 * 432 + 432 * 2048) + 2 * 2048 * 157
    assert rows[0][3] == round(stem / 1e9, 3)
    assert rows[-2][3] == round(head / 1e9, 3)
