"""The generated module's API: INPUTS, forward_features / forward_head, edge_weights(), node_modules()."""

from __future__ import annotations

import inspect

import torch

from anet import runtime as rt
from anet.dsl import parse


def test_inputs_are_the_networks_and_forward_requires_what_it_needs(variant, example_text):
    computed = variant("assemblenet50")
    inputs = computed.INPUTS
    assert inputs == [rt.Input("rgb", 3, True), rt.Input("flow", 2, False)]
    assert inputs == list(parse(example_text("assemblenet50")).inputs)
    params = inspect.signature(computed.Assemblenet50.forward).parameters
    assert params["rgb"].default is inspect.Parameter.empty and params["flow"].default is None
    given = variant("assemblenet50", flow="input")
    inputs = given.INPUTS
    assert inputs == [rt.Input("rgb", 3, True), rt.Input("flow", 2, True)]
    params = inspect.signature(given.Assemblenet50.forward).parameters
    assert params["flow"].default is inspect.Parameter.empty  # no None that fails later


def test_forward_is_the_head_over_the_features(variant):
    torch.manual_seed(0)
    model = variant("two_stream_late_fusion").build_model(num_classes=5, width=0.125).eval()
    rgb = torch.rand(2, 3, 4, 32, 32)
    with torch.no_grad():
        features = model.forward_features(rgb)
        assert len(features) == 2  # both level-4 blocks
        assert [f.shape[1] for f in features] == list(model.head.in_channels)
        torch.testing.assert_close(model.forward_head(features), model(rgb), rtol=0, atol=0)


def test_edge_weights_and_node_modules_cover_the_nodes(variant, example_text):
    network = parse(example_text("assemblenet50"))
    model = variant("assemblenet50").build_model(num_classes=5, width=0.125)
    weights = model.edge_weights()
    fused = [b for b in network.blocks if len(b.inputs) > 1]
    assert list(weights) == [b.id for b in fused]
    assert [len(weights[b.id]) for b in fused] == [len(b.inputs) for b in fused]
    assert weights["6"] == [torch.sigmoid(p).item() for p in model.fuse_6.logits]
    parts = model.node_modules()
    assert list(parts) == [n.id for n in network.nodes]
    assert parts["6"] == [model.fuse_6, model.node_6] and parts["0"] == [model.node_0]
    # every parameter belongs to one node, the flow layer or the head
    owned = {id(p) for modules in parts.values() for m in modules for p in m.parameters()}
    owned |= {id(p) for p in [*model.flow.parameters(), *model.head.parameters()]}
    assert owned == {id(p) for p in model.parameters()}
