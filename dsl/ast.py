"""The typed AST of an .anet file: pydantic models, one per construct.

The models check what one field or one line can know on its own (r is a dilation, a weight lies in
(0, 1), a level is 1-4); whole-graph rules (references, level order, budgets, reachability) live in
`anet.dsl.validate`, because they need every node at once and must report every problem with its
place. Source positions ride along in fields excluded from equality and dumps, so two ASTs are equal
when they describe the same file content, wherever it came from. Value types live in `values.py`,
the header and its table of settings in `header.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

from pydantic import Field, SkipValidation

from ..paper import INPUT_CHANNELS, RAW_INPUTS, STEM_INPUTS, Input, allowed_edges, counts_toward_budget
from .header import Budget, Header, Mutation
from .values import (
    MUTATION_KINDS,
    NO_TRIVIA,
    AstNode,
    AttentionMode,
    BlockChannels,
    Channels,
    Dilation,
    EdgeWeight,
    Filters,
    Level,
    LocatedAt,
    Modality,
    NodeId,
    PeerWeight,
    Span,
    Stride,
    Trivia,
)

__all__ = [
    "MUTATION_KINDS",
    "NO_TRIVIA",
    "RESERVED_IDS",
    "Block",
    "Budget",
    "Edge",
    "Header",
    "Mutation",
    "Network",
    "Node",
    "Peer",
    "Stem",
    "Trivia",
]

# --- nodes -------------------------------------------------------------------------------------


class Edge(AstNode):
    """A connection into a block. `weight` is the learned sigmoid value, when known."""

    source: NodeId
    weight: EdgeWeight | None = None
    weight_span: LocatedAt = Field(default=None, exclude=True, repr=False)


class Peer(AstNode):
    """A node whose pooled features gate a block's connections (AssembleNet++ peer attention).
    `weight` is its learned softmax weight as a probability, when known."""

    source: NodeId
    weight: PeerWeight | None = None
    weight_span: LocatedAt = Field(default=None, exclude=True, repr=False)


class Stem(AstNode):
    """A level-0 source node reading a raw input. For an object stem, `channels` is the number of
    segmentation classes of its input map (it is a pooling layer and has no filters)."""

    kind: Literal["stem"] = "stem"
    id: NodeId
    modality: Modality
    channels: Channels
    r: Dilation
    trivia: Trivia = NO_TRIVIA
    attr_spans: Annotated[Mapping[str, Span], SkipValidation] = Field(default_factory=dict, exclude=True, repr=False)

    @property
    def level(self) -> int:
        return 0

    @property
    def inputs(self) -> tuple[Edge, ...]:
        return ()

    @property
    def out_channels(self) -> int:
        return self.channels

    @property
    def budget_channels(self) -> int:
        return self.channels

    @property
    def label(self) -> str:
        """What makes two nodes interchangeable in an isomorphism (ids and weights do not)."""
        return f"stem:{self.modality}:C{self.channels}:r{self.r}"


class Block(AstNode):
    """A ResNet block: alternating 2D and (2+1)D bottleneck modules, output 4C channels; with a
    filter triple (`C=[27, 27, 12]`, AssembleNet++lite) 3D inverted bottleneck modules, output the
    last. `attention` None follows the header's; `peers` None means every node of a lower level."""

    kind: Literal["block"] = "block"
    id: NodeId
    level: Level
    inputs: tuple[Edge, ...]
    channels: BlockChannels
    r: Dilation
    stride: Stride = 1
    attention: AttentionMode | None = None
    peers: tuple[Peer, ...] | None = None
    trivia: Trivia = NO_TRIVIA
    attr_spans: Annotated[Mapping[str, Span], SkipValidation] = Field(default_factory=dict, exclude=True, repr=False)

    @property
    def filters(self) -> Filters | None:
        """The inverted bottleneck widths of a lite block, None for a bottleneck block."""
        return self.channels if isinstance(self.channels, tuple) else None

    @property
    def budget_channels(self) -> int:
        """What a channel budget sums: C, or a lite block's output width."""
        return self.channels[-1] if isinstance(self.channels, tuple) else self.channels

    @property
    def out_channels(self) -> int:
        return self.channels[-1] if isinstance(self.channels, tuple) else 4 * self.channels

    @property
    def label(self) -> str:
        """What makes two nodes interchangeable in an isomorphism (ids and weights do not)."""
        c = "x".join(map(str, self.channels)) if isinstance(self.channels, tuple) else self.channels
        return f"block:L{self.level}:C{c}:r{self.r}:s{self.stride}"

    @property
    def weights(self) -> tuple[float, ...] | None:
        """The edge weights in input order, or None unless every edge carries one."""
        if not self.inputs or any(e.weight is None for e in self.inputs):
            return None
        return tuple(e.weight for e in self.inputs)  # type: ignore[misc]


Node = Annotated[Stem | Block, Field(discriminator="kind")]

# --- the file ----------------------------------------------------------------------------------


class Network(AstNode):
    """One .anet file: header, nodes in file order, and comments after the last node."""

    header: Header
    nodes: tuple[Node, ...]
    trailing: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Stem | Block]:  # type: ignore[override]
        return iter(self.nodes)

    @property
    def stems(self) -> tuple[Stem, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Stem))

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Block))

    def node(self, node_id: str) -> Stem | Block:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def top_level(self) -> tuple[Block, ...]:
        """The nodes the head reads: every level-4 block; AssembleNet++lite's head reads only the
        first in file order, as the authors' code does (any other is dead: W140)."""
        top = tuple(b for b in self.blocks if b.level == 4)
        return top[:1] if self.header.family == "lite" else top

    @property
    def inputs(self) -> tuple[Input, ...]:
        """The clips the compiled model reads, in `forward`'s order: RGB (for RGB stems, and for
        flow computed from it), flow (required when given as input, else optional: precomputed flow
        replaces the computed one), segmentation maps with one channel per class of the object stem."""
        modalities = {s.modality for s in self.stems}
        computed = "flow" in modalities and self.header.flow != "input"  # `computed` or `pyramid`
        out = []
        if "rgb" in modalities or computed:
            out.append(Input("rgb", INPUT_CHANNELS["rgb"], required=True))
        if "flow" in modalities:
            out.append(Input("flow", INPUT_CHANNELS["flow"], required=not computed))
        objects = [s.channels for s in self.stems if s.modality == "object"]
        if objects:
            out.append(Input(STEM_INPUTS["object"], objects[-1], required=True))
        return tuple(out)

    def attention_of(self, block: Block) -> AttentionMode:
        """The block's own attention setting, else the header's."""
        return block.attention if block.attention is not None else self.header.attention

    def peer_candidates(self, block: Block) -> tuple[Stem | Block, ...]:
        """Every node of a lower level, in file order: the peers a block has by default (the TF
        code's `nodes_below`) and those the search may add."""
        return tuple(n for n in self.nodes if n.level < block.level)

    def peers_of(self, block: Block) -> tuple[Peer, ...]:
        """The peers gating the block's connections: none without peer attention, else the written
        list or every candidate."""
        if self.attention_of(block) != "peer":
            return ()
        if block.peers is not None:
            return block.peers
        return tuple(Peer(source=n.id) for n in self.peer_candidates(block))

    def budget_nodes(self, level: int) -> tuple[Stem | Block, ...]:
        """The nodes of `level` (0 = stems) whose C counts toward its channel budget, in file order."""
        return tuple(n for n in self.nodes if n.level == level and counts_toward_budget(getattr(n, "modality", None)))

    def level_sum(self, level: int) -> int:
        """Sum of C at `level` under the budget rules: what `header.channel_budget(level)` bounds."""
        return sum(n.budget_channels for n in self.budget_nodes(level))

    def allowed_edges(self) -> list[tuple[str, str]]:
        """Every edge the search space allows between these nodes (see `anet.paper.allowed_edges`)."""
        return allowed_edges((n.id, n.level) for n in self.nodes)


RESERVED_IDS = frozenset(RAW_INPUTS)
