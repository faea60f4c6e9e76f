"""Optical flow in generated code: `flow input` requires it, `flow computed` computes it unless given."""

from __future__ import annotations

import pytest
import torch


def clip(frames: int = 4, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, frames, size, size, generator=g), torch.randn(2, 2, frames, size, size, generator=g)


def test_flow_input_network_requires_flow(variant):
    model = variant("assemblenet50", flow="input").build_model(num_classes=5, width=0.125)
    assert not hasattr(model, "flow")  # no flow layer is built
    rgb, flow = clip()
    with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'flow'"):
        model(rgb)
    assert model(rgb=rgb, flow=flow).shape == (2, 5)
    assert model(rgb, flow).shape == (2, 5)  # required inputs may be positional (tracing, ONNX)


def test_flow_input_network_uses_the_given_flow(variant):
    torch.manual_seed(0)
    model = variant("assemblenet50", flow="input").build_model(num_classes=5, width=0.125).eval()
    rgb, flow = clip()
    with torch.no_grad():
        assert not torch.equal(model(rgb=rgb, flow=flow), model(rgb=rgb, flow=flow * 3 + 1))


def test_computed_flow_is_skipped_when_flow_is_given(variant):
    torch.manual_seed(0)
    model = variant("assemblenet50").build_model(num_classes=5, width=0.125).eval()
    calls = []
    model.flow.register_forward_pre_hook(lambda _module, args: calls.append(args[0].shape))
    rgb, flow = clip()
    with torch.no_grad():
        given = model(rgb=rgb, flow=flow)
        assert calls == []
        computed = model(rgb=rgb)
        assert calls == [rgb.shape]
        # computed inside equals computed outside and passed in
        torch.testing.assert_close(model(rgb=rgb, flow=model.flow(rgb)), computed, rtol=0, atol=0)
    assert given.shape == computed.shape == (2, 5)


def test_flow_layer_is_never_called_with_a_precomputed_flow_even_in_training(variant, monkeypatch):
    model = variant("assemblenet50").build_model(num_classes=5, width=0.125)

    def fail(*_args, **_kwargs):
        raise AssertionError("the flow layer ran although flow was given")

    monkeypatch.setattr(model.flow, "forward", fail)
    rgb, flow = clip()
    flow.requires_grad_()
    model(rgb=rgb, flow=flow).sum().backward()
    assert flow.grad is not None and torch.isfinite(flow.grad).all()
    with pytest.raises(AssertionError, match="flow layer ran"):
        model(rgb=rgb)
