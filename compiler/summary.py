"""`anet info`: parameters and FLOPs per node, measured on the compiled model itself.

FLOPs come from torch's own counter (torch.utils.flop_counter), which counts matrix products and
convolutions (one multiply-add = 2 FLOPs); pooling, BN and elementwise work are not counted, as
is usual for CNN FLOP figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from rich.console import Console
from rich.table import Table
from torch.utils.flop_counter import FlopCounterMode

from .. import runtime as rt
from ..dsl import Network
from .loader import compile_to_module


@dataclass(frozen=True)
class NodeCost:
    node: str
    kind: str
    parameters: int
    flops: int


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


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
    frames = frames or network.header.frames
    size = size or network.header.size
    # FLOPs do not depend on the values; optional inputs (flow) are left to the model to compute
    inputs = {i.name: torch.rand(1, i.channels, frames, size, size) for i in module.INPUTS if i.required}
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
        rows.append(NodeCost(node.id, kind, sum(_params(m) for m in modules), flops(modules)))
    flow = [m for m in model.modules() if isinstance(m, rt.RepresentationFlow | rt.PyramidFlow)]
    if flow:
        kind = "coarse-to-fine TV-L1 flow layer" if isinstance(flow[0], rt.PyramidFlow) else "TV-L1 flow layer"
        rows.append(NodeCost("(flow)", kind, _params(flow[0]), flops(flow)))
    head = [m for m in model.modules() if isinstance(m, rt.Head)]
    rows.append(NodeCost("(head)", "pooling + linear", _params(head[0]), flops(head)))
    return rows


def summary_table(rows: list[NodeCost], network: Network, frames: int, size: int) -> None:
    table = Table(
        title=f"{network.header.name}: batch 1 x {frames} frames x {size}x{size}",
        caption="FLOPs of convolutions and matrix products (multiply-add = 2); pooling, BN and the flow layer's "
        "elementwise iterations are not counted",
    )
    for column in ("node", "kind", "parameters", "GFLOPs"):
        table.add_column(column, justify="left" if column in ("node", "kind") else "right")
    for row in rows:
        table.add_row(row.node, row.kind, f"{row.parameters:,}", f"{row.flops / 1e9:.3f}")
    table.add_row(
        "total", "", f"{sum(r.parameters for r in rows):,}", f"{sum(r.flops for r in rows) / 1e9:.3f}", style="bold"
    )
    Console().print(table)
