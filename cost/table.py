"""The table `anet info` prints: one row per node, then the totals."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..dsl import Network
from .flops import NodeCost


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
    console = Console()
    console.print(table)
    attention = sum(r.attention_parameters for r in rows)
    if attention:
        console.print(
            f"of which attention layers: {attention:,} parameters, "
            f"{sum(r.attention_flops for r in rows) / 1e9:.3f} GFLOPs"
        )
