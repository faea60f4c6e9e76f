"""`family lite` (AssembleNet++lite): the published network's parameter count worked out from the
layer definitions, forward and one training step at 8 x 64 x 64, the head's input, the flow
layer's iterations, and TorchScript and ONNX export of a small lite network.

The expected count reads the .anet file with regexes of its own; neither the runtime nor the
compiler nor the DSL computes any expected number. The layers, from the authors' TF1 code
(``assemblenet_plus_lite.py``; attention from ``assemblenet_plus.py``):

    stem       3x3 conv Cin->C, BN; temporal conv (kernel 3) C->C, BN (Cin = 3 RGB, 2 flow)
    module     1x1 conv Cin->e, BN; stride > 1: 3x3 conv e->m, BN, temporal conv m->m, BN;
               stride 1: 3x3x3 conv e->m, BN; 1x1 conv m->o, BN; first module: shortcut Cin->o, BN
    fusion     one 1x1 conv per input channel count below the largest, c -> max; fixed edges
               have no parameters
    peer       per peer k: Dense(c_k -> U) with bias, U = the largest peer count; per input j:
    attention  Dense(U -> c_j) with bias and K trainable peer logits (K peers: every lower node)
    head       the first level-4 block: 1x1 conv ->432, BN; 1x1 conv 432->2048, BN;
               Linear(2048, classes) with bias
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import pytest
import torch

import anet.runtime as rt
from anet.compiler import compile_to_module
from anet.dsl import parse

EXAMPLE = "assemblenet_plus_lite"

SMALL = """\
network lite_small
  classes 5
  family lite
  depth [1, 2, 1, 1]
  attention {attention}

stem 0 in=[rgb] C=8 r=1
stem 1 in=[flow] C=8 r=2
block 2 level=1 in=[0, 1] C=[8, 8, 4] r=1 stride=2
block 3 level=2 in=[0, 2] C=[8, 8, 8] r=2 stride=2
block 4 level=3 in=[1, 3] C=[16, 16, 8] r=1 stride=2
block 5 level=4 in=[2, 4] C=[16, 16, 12] r=4
"""


def compile_text(text: str) -> torch.nn.Module:
    return compile_to_module(parse(text, "lite_small.anet"), text, "lite_small.anet")


@dataclass
class Node:
    id: str
    level: int
    out: int
    inputs: tuple[str, ...] = ()
    cin: int = 0  # a stem's input channels
    filters: tuple[int, int, int] = (0, 0, 0)
    stride: int = 1


def read_lite(text: str) -> tuple[int, tuple[int, ...], list[Node]]:
    """Classes, module repeats and nodes of a lite .anet file, with plain regexes."""
    classes = int(re.search(r"^\s+classes (\d+)", text, re.MULTILINE)[1])
    repeats = tuple(int(d) for d in re.search(r"^\s+depth \[([\d, ]+)\]", text, re.MULTILINE)[1].split(","))
    nodes = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"stem (\w+) in=\[(rgb|flow)\] C=(\d+) r=\d+", line):
            nodes.append(Node(m[1], 0, int(m[3]), cin=3 if m[2] == "rgb" else 2))
        elif m := re.fullmatch(
            r"block (\w+) level=(\d) in=\[([^\]]*)\] C=\[(\d+), (\d+), (\d+)\] r=\d+(?: stride=(\d))?", line
        ):
            sources = tuple(e.split("@")[0].strip() for e in m[3].split(","))
            filters = (int(m[4]), int(m[5]), int(m[6]))
            nodes.append(Node(m[1], int(m[2]), filters[2], sources, filters=filters, stride=int(m[7] or 1)))
        else:
            assert not line.startswith(("stem", "block")), f"unparsed line: {line}"
    return classes, repeats, nodes


def bn(c: int) -> int:
    return 2 * c


def module(cin: int, filters: tuple[int, int, int], stride: int, project: bool) -> int:
    e, m, o = filters
    middle = 9 * e * m + bn(m) + 3 * m * m + bn(m) if stride > 1 else 27 * e * m + bn(m)
    return cin * e + bn(e) + middle + m * o + bn(o) + (cin * o + bn(o) if project else 0)


def expected_parameters(text: str, attention: bool) -> int:
    classes, repeats, nodes = read_lite(text)
    by_id = {n.id: n for n in nodes}
    total = 0
    for node in nodes:
        if node.level == 0:
            total += 9 * node.cin * node.out + bn(node.out) + 3 * node.out**2 + bn(node.out)
            continue
        inputs = [by_id[s].out for s in node.inputs]
        widest = max(inputs)
        total += sum(c * widest for c in set(inputs) if c < widest)  # lifts
        rest = repeats[node.level - 1] - 1
        total += module(widest, node.filters, node.stride, True) + rest * module(node.out, node.filters, 1, False)
        if attention:
            peers = [n.out for n in nodes if n.level < node.level]
            units = max(peers)
            total += sum(c * units + units for c in peers)
            total += sum(units * c + c + len(peers) for c in inputs)
    head_input = next(n for n in nodes if n.level == 4).out
    return total + head_input * 432 + bn(432) + 432 * 2048 + bn(2048) + 2048 * classes + classes


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("attention", ["none", "peer"])
def test_published_lite_parameter_count(example_text, variant, attention):
    model = variant(EXAMPLE, attention=attention).build_model()
    assert n_params(model) == expected_parameters(example_text(EXAMPLE), attention == "peer")


def test_published_lite_runs_at_8x64_and_trains_one_step(variant):
    module = variant(EXAMPLE)
    assert module.RUNTIME_VERSION == 3
    torch.manual_seed(0)
    model = module.build_model(num_classes=4, width=0.5)
    assert model.flow.iterations == 20  # the lite flow layer; AssembleNet's has 40
    assert isinstance(model.head, rt.LiteHead) and isinstance(model.node_10, rt.InvertedBottleneckBlock)
    rgb = torch.rand(2, 3, 8, 64, 64, generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss = torch.nn.functional.cross_entropy(model(rgb), torch.tensor([0, 3]))
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing
    before = model.head.fc.weight.detach().clone()
    optimizer.step()
    assert not torch.equal(before, model.head.fc.weight)
    with torch.no_grad():
        out = model.eval()(rgb)
    assert out.shape == (2, 4) and torch.isfinite(out).all()


def test_the_head_reads_the_first_level4_block():
    text = SMALL.format(attention="none") + "block 6 level=4 in=[4] C=[16, 16, 6] r=1\n"
    model = compile_text(text).build_model()
    assert model.head.in_channels == (model.node_5.out_channels,) == (12,)
    rgb = torch.rand(1, 3, 4, 32, 32)
    with torch.no_grad():
        features = model.forward_features(rgb)
    assert [f.shape[1] for f in features] == [12]


def test_assemblenet_keeps_its_flow_layer(variant):
    assert variant("assemblenet50").build_model(width=0.125).flow.iterations == 40


@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning", "ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize("attention", ["none", "peer"])
def test_small_lite_network_exports(attention, realistic_eval):
    torch.manual_seed(0)
    model = compile_text(SMALL.format(attention=attention)).build_model()
    model.flow.iterations = 2  # each iteration is the same operations, unrolled into the graph
    rgb = torch.rand(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(2))
    model = realistic_eval(model, rgb)
    with torch.no_grad():
        expected = model(rgb)
        traced = torch.jit.trace(model, (rgb,), check_trace=False)
        torch.testing.assert_close(traced(rgb), expected, rtol=1e-4, atol=1e-4)
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        (rgb,),
        buffer,
        opset_version=17,
        dynamo=False,
        input_names=["rgb"],
        output_names=["logits"],
        dynamic_axes={"rgb": {0: "batch", 2: "frames"}, "logits": {0: "batch"}},
    )
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"rgb": rgb.numpy()})
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-3, atol=1e-3)
    longer = torch.rand(1, 3, 6, 32, 32, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        (other,) = session.run(None, {"rgb": longer.numpy()})
        np.testing.assert_allclose(other, model(longer).numpy(), rtol=1e-3, atol=1e-3)
