"""`anet info` of an AssembleNet++ network: the attention layers (gates and peer projections) are
counted in their blocks' rows and summed on a line of their own."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from click.testing import CliRunner

from anet.cli.main import anet
from anet.compiler import compile_file

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "assemblenet_plus50.anet")
ATTENTION = re.compile(r"^of which attention layers: ([\d,]+) parameters, ([\d.]+) GFLOPs$", re.MULTILINE)
TOTAL = re.compile(r"^│\s*total\s*│\s*│\s*([\d,]+)\s*│\s*([\d.]+)\s*│$", re.MULTILINE)


def test_attention_parameters_and_flops_are_counted():
    frames = 4
    result = CliRunner().invoke(anet, ["info", EXAMPLE, "--frames", str(frames), "--size", "64"])
    assert result.exit_code == 0, result.output
    attention, total = ATTENTION.search(result.output), TOTAL.search(result.output)
    assert attention and total, result.output
    with torch.device("meta"):
        model = compile_file(EXAMPLE).build_model()
    layers = [p for n, p in model.named_parameters() if ".gates." in n or ".projections." in n]
    assert int(attention[1].replace(",", "")) == sum(p.numel() for p in layers) == 9_883_924
    assert int(total[1].replace(",", "")) == sum(p.numel() for p in model.parameters())
    # every attention layer is a dense layer applied once per frame (batch 1): 2 FLOPs per multiply-add
    dense = [m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n != "head.fc"]
    flops = sum(2 * frames * m.in_features * m.out_features for m in dense)
    assert float(attention[2]) == round(flops / 1e9, 3) > 0


def test_a_network_without_attention_prints_no_attention_line():
    example = str(Path(EXAMPLE).with_name("assemblenet50.anet"))
    result = CliRunner().invoke(anet, ["info", example, "--frames", "2", "--size", "32"])
    assert result.exit_code == 0, result.output
    assert "attention" not in result.output
