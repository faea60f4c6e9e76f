"""Lowering of `family lite` networks (AssembleNet++lite): their stems, blocks, head and flow layer.

Only what differs from an AssembleNet: the graph, fusion, attention and everything else are
lowered by `ir.py` as for any network. The layers are `anet.runtime.lite`'s. The head reads the
first level-4 block in file order, as the TF code reads `grouping[3][0]`; another level-4 block
is computed and read by nothing (the published structure has one). An object stem, which the TF
lite code leaves unfinished (it runs a lite stem on `None` and never adds the result to its
streams), compiles to AssembleNet++'s pooling stem at 1/4 size; fusion pools the 1/2-size lite
stems down to it where they meet.
"""

from __future__ import annotations

from ..dsl import Block, Network, Stem
from ..paper import INPUT_CHANNELS
from .names import node_attribute
from .pyformat import Call, Code, Expr, ListOf, Text

LITE_FLOW_ITERATIONS = 20
"""TV-L1 iterations of the lite network's flow layer (`rep_flow(..., num_iter=20)`; AssembleNet's is 40)."""


def is_lite(network: Network) -> bool:
    return network.header.family == "lite"


def lite_stem(stem: Stem) -> Call:
    """An RGB or flow stem: 3x3 conv stride 2 and temporal conv, for both modalities."""
    return Call(
        "rt.LiteStem",
        kwargs=(
            ("in_channels", INPUT_CHANNELS[stem.modality]),
            ("channels", stem.channels),
            ("r", stem.r),
            ("width", Code("width")),
        ),
    )


def lite_block(network: Network, block: Block, in_channels: Expr) -> Call:
    """A block of inverted bottleneck modules with the file's filter triple."""
    assert block.filters is not None, "validation gives every lite block a filter triple (E164)"
    return Call(
        "rt.InvertedBottleneckBlock",
        kwargs=(
            ("in_channels", in_channels),
            ("filters", ListOf(block.filters)),
            ("r", block.r),
            ("stride", block.stride),
            ("repeats", network.header.repeats[block.level - 1]),
            ("width", Code("width")),
        ),
    )


def lite_head_input(network: Network) -> Block:
    """The level-4 block the head reads: the first in file order."""
    return network.top_level[0]


def lite_head(network: Network) -> Call:
    return Call(
        "rt.LiteHead",
        kwargs=(
            ("in_channels", ListOf((Code(f"self.{node_attribute(lite_head_input(network).id)}.out_channels"),))),
            ("num_classes", Code("num_classes")),
            ("pool", Text(network.header.pool)),
            ("width", Code("width")),
        ),
    )


def lite_flow_layer() -> Call:
    return Call("rt.RepresentationFlow", kwargs=(("iterations", LITE_FLOW_ITERATIONS),))
