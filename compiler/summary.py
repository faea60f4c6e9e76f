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

from anet.compiler.loader import compile_to_module
from anet.compiler.names import fusion_attribute, node_attribute
from anet.dsl import Network


@dataclass(frozen=True)
class NodeCost:
    node: str
    kind: str
    parameters: int
    flops: int


def _params(module: torch.nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


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
    model = compile_to_module(network, source_text, source_path).build_model(width=width).eval()
    frames = frames or network.header.frames
    size = size or network.header.size
    inputs: dict[str, torch.Tensor] = {}
    modalities = {s.modality for s in network.stems}
    if "rgb" in modalities or ("flow" in modalities and network.header.flow == "computed"):
        inputs["rgb"] = torch.rand(1, 3, frames, size, size)
    if "flow" in modalities and network.header.flow == "input":
        inputs["flow"] = torch.zeros(1, 2, frames, size, size)
    for stem in network.stems:
        if stem.modality == "object":
            inputs["segmentation"] = torch.zeros(1, stem.channels, frames, size, size)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(**inputs)
    by_module = counter.get_flop_counts()

    def flops(name: str) -> int:
        return int(sum(by_module.get(f"{type(model).__name__}.{name}", {}).values()))

    rows = []
    for node in network.nodes:
        attr, fuse = node_attribute(node.id), fusion_attribute(node.id)
        kind = f"{node.modality} stem" if node.kind == "stem" else f"level {node.level} block"
        rows.append(
            NodeCost(
                node.id,
                kind,
                _params(getattr(model, attr)) + _params(getattr(model, fuse, None)),
                flops(attr) + flops(fuse),
            )
        )
    if hasattr(model, "flow"):
        rows.append(NodeCost("(flow)", "TV-L1 flow layer", _params(model.flow), flops("flow")))
    rows.append(NodeCost("(head)", "pooling + linear", _params(model.head), flops("head")))
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
