"""Every example compiles to a file that imports on its own, runs forward and backward, and trains."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from anet.compiler import compile_network
from anet.dsl import load

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.anet"))


def import_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles_imports_and_trains(path, tmp_path):
    source = compile_network(load(path), path.read_text(encoding="utf-8"), path.name)
    target = tmp_path / f"{path.stem}_model.py"
    target.write_text(source, encoding="utf-8")
    module = import_file(target, f"anet_test_{path.stem}")  # a plain Python file, imported as usual
    torch.manual_seed(0)
    model = module.build_model(num_classes=6, width=0.125)
    # every input the network requires (RGB; segmentation maps for an object stem), as class maps
    # do not need to be one-hot for a forward pass
    clips = {i.name: torch.rand(2, i.channels, 4, 32, 32) for i in module.INPUTS if i.required}
    out = model(**clips)
    assert out.shape == (2, 6) and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    nn.functional.cross_entropy(out, torch.tensor([0, 5])).backward()
    named = dict(model.named_parameters())
    missing = [n for n, p in named.items() if p.grad is None]
    assert not missing, missing
    bad = [n for n, p in named.items() if not torch.isfinite(p.grad).all()]
    assert not bad, bad
    # the head and the stems' first convs always see a non-zero gradient
    assert named["head.fc.weight"].grad.abs().sum() > 0
    stems = [n for n in named if n.endswith("conv.conv.weight") and ".residuals." not in n]
    assert stems and all(named[n].grad.abs().sum() > 0 for n in stems), stems
    torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9).step()
    assert torch.isfinite(model(**clips)).all()
