"""A small stem -> fusion -> block -> head network: training step, TorchScript trace, ONNX, compile."""

from __future__ import annotations

import io

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import Tensor, nn

from anet.runtime import Block, FlowStem, Fusion, Head, ObjectStem, RGBStem

# Tracing bakes the pooling sizes in (expected, and said so); torch marks jit.trace and the
# TorchScript ONNX exporter deprecated, but they are what this torch offers without onnxscript.
pytestmark = pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning")


class Tiny(nn.Module):
    """What generated code looks like: stems, fusions of several inputs, blocks, a head."""

    def __init__(self, pool: str = "avg") -> None:
        super().__init__()
        self.rgb = RGBStem(channels=4, r=2)
        self.flow = FlowStem(channels=4)
        self.objects = ObjectStem(channels=3)
        self.fuse1 = Fusion(in_channels=[4, 4, 3])
        self.b1 = Block(in_channels=4, channels=2, level=1, r=1, stride=1, repeats=2)
        self.fuse2 = Fusion(in_channels=[4, 8], weights=[0.3, 0.9], trainable=False)
        self.b2 = Block(in_channels=8, channels=4, level=2, r=2, stride=2, repeats=3)
        self.b3 = Block(in_channels=8, channels=4, level=2, r=4, stride=2, repeats=1)
        self.head = Head(in_channels=[16, 16], num_classes=5, pool=pool)

    def forward(self, rgb: Tensor, flow: Tensor, seg: Tensor) -> Tensor:
        s_rgb, s_flow, s_obj = self.rgb(rgb), self.flow(flow), self.objects(seg)
        n1 = self.b1(self.fuse1([s_rgb, s_flow, s_obj]))
        n2 = self.b2(self.fuse2([s_flow, n1]))
        n3 = self.b3(n1)  # a single input is passed through, never wrapped
        return self.head([n2, n3])


def inputs(frames: int = 4, size: int = 33) -> tuple[Tensor, Tensor, Tensor]:
    return (
        torch.randn(2, 3, frames, size, size),
        torch.randn(2, 2, frames, size, size),
        torch.rand(2, 3, frames, size, size),
    )


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_forward_backward(pool):
    model = Tiny(pool)
    x = inputs()
    out = model(*x)
    assert out.shape == (2, 5)
    nn.functional.cross_entropy(out, torch.tensor([1, 3])).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing
    assert model.fuse1.logits.grad is not None and not model.fuse2.logits.requires_grad
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.step()
    assert torch.isfinite(model(*x)).all()


def test_clip_length_is_free():
    model = Tiny().eval()
    for frames, size in [(1, 32), (3, 56), (8, 33)]:
        assert model(*inputs(frames, size)).shape == (2, 5)


def _trained_eval_model(pool: str = "max") -> Tiny:
    model = Tiny(pool)
    with torch.no_grad():
        model(*inputs())  # move the BN running statistics away from their initial values
        for m in model.modules():
            if isinstance(m, nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.5)  # no zero gammas: every path must matter
        model.head.fc.weight.normal_()
    return model.eval()


def test_torchscript_trace():
    model = _trained_eval_model()
    x = inputs()
    traced = torch.jit.trace(model, x, check_trace=False)  # compared below
    torch.testing.assert_close(traced(*x), model(*x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_onnx_export_matches_onnxruntime(pool):
    model = _trained_eval_model(pool)
    x = inputs()
    buffer = io.BytesIO()
    torch.onnx.export(
        model, x, buffer, opset_version=17, dynamo=False, input_names=["rgb", "flow", "seg"], output_names=["logits"]
    )
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"rgb": x[0].numpy(), "flow": x[1].numpy(), "seg": x[2].numpy()})
    with torch.no_grad():
        expected = model(*x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # torch.compile
def test_torch_compile_full_graph():
    """Dynamo captures the whole model in one graph (no graph breaks); aot_eager keeps it fast."""
    model = _trained_eval_model()
    x = inputs()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(*x), model(*x), rtol=1e-5, atol=1e-5)
