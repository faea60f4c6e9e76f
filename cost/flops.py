"""Parameters and FLOPs per node, measured on the compiled model itself (what `anet info` shows).

FLOPs come from torch's own counter (torch.utils.flop_counter), which counts matrix products and
convolutions (one multiply-add = 2 FLOPs); pooling, BN and elementwise work are not counted, as
is usual for CNN FLOP figures.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from .. import runtime as rt
from ..compiler import compile_to_module
from ..dsl import Network
from ..training.speed_choice import example_inputs, input_shapes


@dataclass(frozen=True)
class NodeCost:
    """One row: a node with its fusion, the flow layer or the head. The attention fields are the
    part of `parameters` and `flops` in AssembleNet++'s attention layers (gates, peer projections)."""

    node: str
    kind: str
    parameters: int
    flops: int
    attention_parameters: int = 0
    attention_flops: int = 0


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def required_inputs(module: types.ModuleType, frames: int, size: int) -> dict[str, torch.Tensor]:
    """A batch of one random clip per required input of a compiled network: FLOPs and run time do not
    depend on the values; optional inputs (flow from RGB) are left to the model to compute."""
    return example_inputs(input_shapes(module.INPUTS, batch=1, frames=frames, size=size))


def _attention_layers(modules: list[torch.nn.Module]) -> list[torch.nn.Module]:
    """The attention layers of a node's fusion: its peer projections and one gate per connection."""
    fusions = [m for m in modules if isinstance(m, rt.AttendedFusion)]
    return [layer for f in fusions for layer in (*([f.projections] if f.projections else []), *f.gates)]


def summarize(
    network: Network,
    source_text: str,
    source_path: str | None = None,
    *,
    frames: int | None = None,
    size: int | None = None,
    width: float | None = None,
) -> list[NodeCost]:
    """One row per node (its fusion included), then the flow layer and head when present."""
    module = compile_to_module(network, source_text, source_path)
    model = module.build_model(width=width).eval()
    inputs = required_inputs(module, frames or network.header.frames, size or network.header.size)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(**inputs)
    by_module = counter.get_flop_counts()
    names = {id(m): name for name, m in model.named_modules()}

    def flops(modules: list[torch.nn.Module]) -> int:
        keys = [f"{type(model).__name__}.{names[id(m)]}" for m in modules]
        return int(sum(sum(by_module.get(key, {}).values()) for key in keys))

    rows = []
    parts = model.node_modules()
    for node in network.nodes:
        kind = f"{node.modality} stem" if node.kind == "stem" else f"level {node.level} block"
        modules = parts[node.id]
        attention = _attention_layers(modules)
        rows.append(
            NodeCost(
                node.id,
                kind,
                sum(_params(m) for m in modules),
                flops(modules),
                sum(_params(m) for m in attention),
                flops(attention),
            )
        )
    flow = [m for m in model.modules() if isinstance(m, rt.RepresentationFlow | rt.PyramidFlow)]
    if flow:
        kind = "coarse-to-fine TV-L1 flow layer" if isinstance(flow[0], rt.PyramidFlow) else "TV-L1 flow layer"
        rows.append(NodeCost("(flow)", kind, _params(flow[0]), flops(flow)))
    head = [m for m in model.modules() if isinstance(m, rt.Head)]
    kind = "1x1 convs + pooling + linear" if isinstance(head[0], rt.LiteHead) else "pooling + linear"
    rows.append(NodeCost("(head)", kind, _params(head[0]), flops(head)))
    return rows
