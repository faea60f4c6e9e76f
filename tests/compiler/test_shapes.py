"""Output shapes of every node of the generated AssembleNet-50 and -101, on the meta device.

On "meta" tensors carry shapes only: full-width models at 32x224x224 run their forward in well
under a second and allocate nothing. Expected shapes follow the facts about the implementation:
stems reduce space by 4 (7x7 conv stride 2, then a stride-2 max-pool, TF "same" rounding: ceil),
blocks by their stride (ceil), fusions pool to the smallest input, time is never downsampled, and
a block outputs 4C channels. The flow layer takes its functional path on meta tensors.
"""

from __future__ import annotations

import math
import re

import pytest
import torch

TOP_LEVEL = 4


def structure(text: str) -> list[tuple[str, str, int, int, int, tuple[str, ...]]]:
    """(id, kind, C, level, stride, inputs) per node, read with regexes."""
    nodes = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"stem (\w+) in=\[(\w+)\] C=(\d+) r=\d+", line):
            nodes.append((m[1], m[2], int(m[3]), 0, 1, ()))
        elif m := re.fullmatch(r"block (\w+) level=(\d) in=\[([^\]]*)\] C=(\d+) r=\d+(?: stride=(\d))?", line):
            inputs = tuple(e.split("@")[0].strip() for e in m[3].split(","))
            nodes.append((m[1], "block", int(m[4]), int(m[2]), int(m[5] or 1), inputs))
    return nodes


def expected_shapes(text: str, batch: int, frames: int, size: int) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    sizes: dict[str, int] = {}
    channels: dict[str, int] = {}
    for node_id, kind, c, _, stride, inputs in structure(text):
        if kind != "block":
            sizes[node_id] = math.ceil(math.ceil(size / 2) / 2)  # conv stride 2, pool stride 2
            channels[node_id] = c
        else:
            smallest = min(sizes[i] for i in inputs)
            if len(inputs) > 1:
                shapes[f"fuse_{node_id}"] = (batch, max(channels[i] for i in inputs), frames, smallest, smallest)
            sizes[node_id] = math.ceil(smallest / stride)
            channels[node_id] = 4 * c
        shapes[f"node_{node_id}"] = (batch, channels[node_id], frames, sizes[node_id], sizes[node_id])
    return shapes


@pytest.mark.parametrize("name", ["assemblenet50", "assemblenet101"])
@pytest.mark.parametrize("frames, size", [(8, 112), (32, 224)])
def test_every_node_output_shape_on_meta(name, frames, size, example_text, variant):
    with torch.device("meta"):
        model = variant(name).build_model()
    seen: dict[str, tuple[int, ...]] = {}
    for attr, child in model.named_children():
        if attr.startswith(("node_", "fuse_")):
            child.register_forward_hook(lambda _m, _i, out, attr=attr: seen.__setitem__(attr, tuple(out.shape)))
    batch = 1
    rgb = torch.empty(batch, 3, frames, size, size, device="meta")
    with torch.no_grad():
        logits = model(rgb)
    assert logits.shape == (batch, 339)
    expected = expected_shapes(example_text(name), batch, frames, size)
    assert seen == expected
    # spot checks of the arithmetic above: stems at 1/4, the last level at 1/32 (rounded up: 112 -> 4)
    assert seen["node_0"][-2:] == (size // 4, size // 4)
    last = -(-size // 32)
    assert seen["node_14"] == (batch, 2048 if name == "assemblenet50" else 1024, frames, last, last)


def test_flow_layer_runs_on_meta(variant):
    """The whole model, flow layer included, runs on meta tensors (shapes without computation)."""
    with torch.device("meta"):
        model = variant("assemblenet50").build_model(width=0.125)
    with torch.no_grad():
        assert model(torch.empty(1, 3, 4, 32, 32, device="meta")).shape == (1, 339)


def test_flow_layer_output_shape_on_a_real_clip(variant):
    model = variant("assemblenet50").build_model(width=0.125)
    flow = model.flow(torch.rand(2, 3, 5, 20, 24))
    assert flow.shape == (2, 2, 5, 20, 24)


@pytest.mark.parametrize("frames, size", [(4, 32), (3, 33)])
def test_meta_shapes_agree_with_a_real_forward(frames, size, example_text, variant):
    """The meta shapes are those of real tensors (a small narrowed model, odd sizes included)."""
    module = variant("assemblenet50")
    model = module.build_model(num_classes=5, width=0.125).eval()
    seen: dict[str, tuple[int, ...]] = {}
    for attr, child in model.named_children():
        if attr.startswith(("node_", "fuse_")):
            child.register_forward_hook(lambda _m, _i, out, attr=attr: seen.__setitem__(attr, tuple(out.shape)))
    with torch.no_grad():
        assert model(torch.rand(2, 3, frames, size, size)).shape == (2, 5)
    expected = expected_shapes(example_text("assemblenet50"), 2, frames, size)
    # narrowed: channels scale by 1/8, the spatial and time axes do not
    assert {k: (v[0], *v[2:]) for k, v in seen.items()} == {k: (v[0], *v[2:]) for k, v in expected.items()}
    assert {k: v[1] for k, v in seen.items()} == {k: max(1, round(v[1] / 8)) for k, v in expected.items()}
