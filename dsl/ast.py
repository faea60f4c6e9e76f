"""The typed AST of an .anet file: pydantic models, one per construct.

The models check what one field or one line can know on its own (r is a dilation, a weight lies in
(0, 1), a level is 1-4); whole-graph rules (references, level order, budgets, reachability) live in
`anet.dsl.validate`, because they need every node at once and must report every problem with its
place. Source positions ride along in fields excluded from equality and dumps, so two ASTs are equal
when they describe the same file content, wherever it came from.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    InstanceOf,
    SkipValidation,
    ValidationInfo,
)

from anet.dsl.constants import (
    DEPTH_REPEATS,
    DILATIONS,
    MAX_BUDGET,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_FRAMES,
    MAX_REPEATS,
    MAX_SIZE,
    RAW_INPUTS,
    STRIDES,
    default_budget,
)
from anet.dsl.diagnostics import Span

# --- value types -------------------------------------------------------------------------------


def _check_dilation(value: int) -> int:
    if value not in DILATIONS:
        raise ValueError(f"r={value} is not a temporal dilation; use one of 1, 2, 4, 8")
    return value


def _check_stride(value: int) -> int:
    if value not in STRIDES:
        raise ValueError(f"stride={value} is not a spatial stride; use 1 or 2")
    return value


def _check_level(value: int) -> int:
    if not 1 <= value <= 4:
        raise ValueError(f"level={value} is outside the block levels 1-4 (stems are level 0)")
    return value


_DISPLAY_NAMES = {"channels": "C"}


def _check_positive(value: int, info: ValidationInfo) -> int:
    if value < 1:
        name = _DISPLAY_NAMES.get(info.field_name or "", info.field_name)
        raise ValueError(f"{name}={value} must be at least 1")
    return value


def _at_most(limit: int) -> Callable[[int, ValidationInfo], int]:
    """A bound from `constants` (MAX_CLASSES, ...): far above any published model, below a typo."""

    def check(value: int, info: ValidationInfo) -> int:
        if value > limit:
            name = _DISPLAY_NAMES.get(info.field_name or "", info.field_name)
            raise ValueError(f"{name} {value} is more than {limit}, the largest anet accepts")
        return value

    return check


def _to_float32(value: float) -> float:
    """Edge weights are float32 in every model and in the published files; storing them rounded
    makes the text form short (`0.13810565`) and the round trip to the published JSON exact."""
    try:
        rounded = struct.unpack("f", struct.pack("f", value))[0]  # float32 rounding without numpy
    except OverflowError:
        rounded = math.inf
    if not 0.0 < rounded < 1.0:
        raise ValueError(f"edge weight {value} is outside (0, 1); it is a sigmoid value")
    return rounded


def _check_width(value: float) -> float:
    if not 0.0 < value <= 64.0:
        raise ValueError(f"width {value} must be a positive channel multiplier (at most 64)")
    return value


# Positions are checked by type only: the parser makes thousands and they are always well formed.
LocatedAt = Annotated[Span, InstanceOf] | None
Dilation = Annotated[int, AfterValidator(_check_dilation)]
Stride = Annotated[int, AfterValidator(_check_stride)]
Level = Annotated[int, AfterValidator(_check_level)]
Count = Annotated[int, AfterValidator(_check_positive)]
Channels = Annotated[Count, AfterValidator(_at_most(MAX_CHANNELS))]
ChannelSum = Annotated[Count, AfterValidator(_at_most(MAX_BUDGET))]
Classes = Annotated[Count, AfterValidator(_at_most(MAX_CLASSES))]
Frames = Annotated[Count, AfterValidator(_at_most(MAX_FRAMES))]
Size = Annotated[Count, AfterValidator(_at_most(MAX_SIZE))]
EdgeWeight = Annotated[float, AfterValidator(_to_float32)]
Width = Annotated[float, AfterValidator(_check_width)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
NodeId = Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,63}|[0-9]{1,9})$")]
Modality = Literal["rgb", "flow", "object"]
MutationKind = Literal["init", "guided_edges", "random_edges", "split", "merge", "dilation", "repair"]
MUTATION_KINDS: tuple[str, ...] = MutationKind.__args__  # type: ignore[attr-defined]


class AstNode(BaseModel):
    """Base of every AST model: immutable, strict about unknown fields, located."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: LocatedAt = Field(default=None, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.model_dump() == other.model_dump()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(repr(self.model_dump()))


class Trivia(AstNode):
    """Comments that belong to a line: full-line comments (and single blank lines, as "") before
    it, and the comment at its end. Kept so that `anet fmt` never deletes what people wrote."""

    before: tuple[str, ...] = ()
    note: str | None = None

    def __bool__(self) -> bool:
        return bool(self.before or self.note)


NO_TRIVIA = Trivia()


# --- nodes -------------------------------------------------------------------------------------


class Edge(AstNode):
    """A connection into a block. `weight` is the learned sigmoid value, when known."""

    source: NodeId
    weight: EdgeWeight | None = None
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


class Block(AstNode):
    """A ResNet block: alternating 2D and (2+1)D bottleneck modules, output 4C channels."""

    kind: Literal["block"] = "block"
    id: NodeId
    level: Level
    inputs: tuple[Edge, ...]
    channels: Channels
    r: Dilation
    stride: Stride = 1
    trivia: Trivia = NO_TRIVIA
    attr_spans: Annotated[Mapping[str, Span], SkipValidation] = Field(default_factory=dict, exclude=True, repr=False)

    @property
    def out_channels(self) -> int:
        return 4 * self.channels

    @property
    def weights(self) -> tuple[float, ...] | None:
        """The edge weights in input order, or None unless every edge carries one."""
        if not self.inputs or any(e.weight is None for e in self.inputs):
            return None
        return tuple(e.weight for e in self.inputs)  # type: ignore[misc]


Node = Annotated[Stem | Block, Field(discriminator="kind")]


# --- header ------------------------------------------------------------------------------------


class Budget(AstNode):
    """Per-level channel budgets; a level left out uses the default of the network's depth."""

    stems: ChannelSum | None = None
    l1: ChannelSum | None = None
    l2: ChannelSum | None = None
    l3: ChannelSum | None = None
    l4: ChannelSum | None = None


def _drop_empty_budget(budget: Budget | None) -> Budget | None:
    """`budget` with nothing in it means the defaults, and prints as nothing."""
    if budget is None or all(getattr(budget, k) is None for k in ("stems", "l1", "l2", "l3", "l4")):
        return None
    return budget


class Mutation(AstNode):
    """One operator the evolution applied to the parent to get this file, e.g. `split(8)`."""

    kind: MutationKind
    args: tuple[str, ...] = ()


def _normalise_depth(value: Any) -> Any:
    if isinstance(value, list | tuple):
        for name, repeats in DEPTH_REPEATS.items():
            if tuple(value) == repeats:
                return name
        if len(value) != 4 or any(not isinstance(v, int) or v < 1 for v in value):
            raise ValueError(f"depth {list(value)} must list 4 positive module repeats, one per level")
        if max(value) > MAX_REPEATS:
            raise ValueError(
                f"depth {list(value)}: {max(value)} module repeats is more than {MAX_REPEATS}, the largest anet accepts"
            )
        return tuple(value)
    if value not in DEPTH_REPEATS:
        raise ValueError(f"depth {value} is not 50 or 101; give module repeats per level, e.g. [3, 4, 6, 3]")
    return value


Depth = Annotated[int | tuple[int, int, int, int], AfterValidator(_normalise_depth)]


class Header(AstNode):
    """The `network` line and the settings under it. Fields a file leaves out keep their defaults;
    `model_fields_set` remembers which were written, so the printer keeps explicit defaults."""

    name: Identifier
    classes: Classes
    depth: Depth = 50
    pool: Literal["avg", "max"] = "avg"
    edges: Literal["learned", "fixed"] = "learned"
    flow: Literal["computed", "input"] = "computed"
    frames: Frames = 32
    size: Size = 224
    width: Width = 1.0
    budget: Annotated[Budget | None, AfterValidator(_drop_empty_budget)] = None
    # Descendant metadata, written by `anet evolve`.
    parent: Annotated[str, Field(pattern=r'^[^"\n\\]*$')] | None = None
    round: Annotated[int, Field(ge=0)] | None = None
    fitness: FiniteFloat | None = None  # `fitness 1e999` would print as `inf`, which does not parse
    mutations: tuple[Mutation, ...] | None = None
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{1,64}$")] | None = None
    trivia: Mapping[str, Trivia] = Field(default_factory=dict)

    @property
    def repeats(self) -> tuple[int, int, int, int]:
        """Modules per block at levels 1-4 (m = repeats / 2 in the paper's terms)."""
        return self.depth if isinstance(self.depth, tuple) else DEPTH_REPEATS[self.depth]

    def channel_budget(self, level: int) -> int:
        """The largest sum of C allowed at `level` (0 = stems)."""
        key = "stems" if level == 0 else f"l{level}"
        given = getattr(self.budget, key) if self.budget else None
        return given if given is not None else default_budget(self.depth)[level]


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
        """The nodes the head reads: every level-4 block."""
        return tuple(b for b in self.blocks if b.level == 4)

    def replace(self, **changes: Any) -> Network:
        """A validated copy with `changes` applied (models are immutable)."""
        return Network.model_validate(self.model_dump(round_trip=True) | changes)


RESERVED_IDS = frozenset(RAW_INPUTS)
