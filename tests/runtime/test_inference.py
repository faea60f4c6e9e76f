"""anet.runtime.inference_copy: BN folded once into the convs of a copy that computes what the model
computes, in fp32 and under bf16 autocast, and leaves the model as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from anet.compiler import compile_file
from anet.runtime import inference_copy
from anet.runtime.layers import ConvBN

ROOT = Path(__file__).resolve().parents[2]


def trained_looking_model(seed: int) -> nn.Module:
    """A small compiled model whose BNs have non-trivial statistics and affine parameters (fresh BNs
    are close to the identity, and the last BN of each residual module starts at zero)."""
    torch.manual_seed(seed)
    model = compile_file(ROOT / "examples" / "two_stream_late_fusion.anet").build_model(num_classes=7, width=0.0625)
    with torch.no_grad():
        for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm3d)):
            bn.running_mean.normal_(0, 0.3)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.normal_(1, 0.3)
            bn.bias.normal_(0, 0.3)
    return model


def clip(seed: int) -> torch.Tensor:
    return torch.rand(2, 3, 4, 40, 40, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_copy_computes_what_the_model_computes(seed):
    model = trained_looking_model(seed).eval()
    rgb = clip(seed)
    expected = model(rgb).detach()  # gradient enabled: conv, then the BN modules
    copy = inference_copy(model)
    assert not any(isinstance(m, nn.BatchNorm3d) for m in copy.modules())
    units = [m for m in copy.modules() if isinstance(m, ConvBN)]
    assert units and all(u.bn is None and u.conv.bias is not None for u in units)
    assert all(u.conv.weight.is_contiguous(memory_format=torch.channels_last) for u in units)
    with torch.no_grad():
        torch.testing.assert_close(copy(rgb), expected, rtol=1e-4, atol=1e-4)


def test_the_copy_in_bf16_matches_the_model_under_autocast():
    model = trained_looking_model(2).eval()
    rgb = clip(2)
    copy = inference_copy(model, torch.bfloat16)
    assert {u.conv.weight.dtype for u in copy.modules() if isinstance(u, ConvBN)} == {torch.bfloat16}
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        expected, got = model(rgb).float(), copy(rgb).float()
    scale = expected.abs().max().item()
    assert (got - expected).abs().max().item() <= 0.05 * scale


def test_the_model_is_left_as_it_was():
    model = trained_looking_model(3).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    copy = inference_copy(model)
    assert model.training and not copy.training
    assert all(p.requires_grad for p in model.parameters())
    assert not any(p.requires_grad for p in copy.parameters())
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    nn.functional.cross_entropy(model(clip(3)), torch.tensor([1, 2])).backward()  # still trains
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad and p.dim() == 4)


def test_the_copy_is_a_snapshot():
    """Later changes to the model do not reach the copy (it holds folded weights of its own)."""
    model = trained_looking_model(4).eval()
    rgb = clip(4)
    copy = inference_copy(model)
    with torch.no_grad():
        first = copy(rgb)
        for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm3d)):
            bn.running_mean.add_(1.0)
        torch.testing.assert_close(copy(rgb), first)
        assert not torch.allclose(model(rgb), first, atol=1e-3)
