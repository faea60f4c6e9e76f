"""`edges fixed` compiles to constant edge weights (buffers), `edges learned` to trained ones (parameters)."""

from __future__ import annotations

import math
import re

import torch
from torch import nn


def published_weights(text: str) -> dict[str, list[float]]:
    """Edge weights per multi-input block, as written in the file."""
    weights = {}
    for m in re.finditer(r"^block (\w+) .*?in=\[([^\]]*)\]", text, re.MULTILINE):
        edges = [e.strip() for e in m[2].split(",")]
        if len(edges) > 1:
            weights[m[1]] = [float(e.split("@")[1]) for e in edges]
    return weights


def train_step(model: nn.Module, classes: int = 5) -> None:
    torch.manual_seed(0)
    out = model(torch.rand(2, 3, 4, 32, 32))
    nn.functional.cross_entropy(out, torch.tensor([1, classes - 1])).backward()


def test_fixed_edge_weights_are_buffers(example_text, variant):
    model = variant("assemblenet50").build_model(num_classes=5, width=0.125)
    weights = published_weights(example_text("assemblenet50"))
    assert len(weights) == 9
    parameters = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    state = model.state_dict()
    for node, given in weights.items():
        key = f"fuse_{node}.logits"
        assert key in state and key in buffers and key not in parameters
        logits = buffers[key]
        assert not logits.requires_grad
        # stored as logits of the published sigmoid values
        torch.testing.assert_close(torch.sigmoid(logits), torch.tensor(given), rtol=0, atol=1e-6)
    assert not any(name.endswith("logits") for name in parameters)
    before = {k: v.clone() for k, v in buffers.items() if k.endswith("logits")}
    train_step(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    optimizer.step()
    for key, value in before.items():
        assert buffers[key].grad is None
        assert torch.equal(buffers[key], value), key


def test_learned_edge_weights_are_parameters_with_gradients(variant):
    model = variant("two_stream_fusion_lv4").build_model(num_classes=5, width=0.125)
    logits = model.fuse_fused4.logits
    assert isinstance(logits, nn.Parameter) and logits.requires_grad
    assert "fuse_fused4.logits" in dict(model.named_parameters())
    assert "fuse_fused4.logits" in model.state_dict()
    assert "fuse_fused4.logits" not in dict(model.named_buffers())
    # no weights given: initialised around logit 0 (sigmoid about 0.5), as when searching
    assert logits.detach().abs().max() < 0.1
    before = logits.detach().clone()
    train_step(model)
    assert logits.grad is not None and torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
    torch.optim.SGD(model.parameters(), lr=1.0).step()
    assert not torch.equal(logits.detach(), before)


def test_learned_edges_start_from_the_given_weights(example_text, variant):
    model = variant("assemblenet50", edges="learned").build_model(num_classes=5, width=0.125)
    weights = published_weights(example_text("assemblenet50"))
    parameters = dict(model.named_parameters())
    for node, given in weights.items():
        logits = parameters[f"fuse_{node}.logits"]
        torch.testing.assert_close(torch.sigmoid(logits.detach()), torch.tensor(given), rtol=0, atol=1e-6)
        # logit(w) exactly as the fixed model stores it
        assert math.isclose(float(logits.detach()[0]), math.log(given[0] / (1 - given[0])), rel_tol=1e-6)
    train_step(model)
    for node in weights:
        grad = parameters[f"fuse_{node}.logits"].grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, node
