"""The value types of the AST and its base model: what one field can check on its own.

Bounds come from `anet.dsl.constants` (the language's limits) and `anet.paper` (dilations,
strides). Kept apart from the node and header models so that both can use them.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, InstanceOf, ValidationInfo

from ..paper import DILATIONS, STRIDES
from .constants import MAX_BUDGET, MAX_CHANNELS, MAX_CLASSES, MAX_FRAMES, MAX_SIZE
from .diagnostics import Span

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


def _float32(value: float) -> float:
    """float32 rounding without numpy; too large for float32 reads as inf."""
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.inf


def _to_float32(value: float) -> float:
    """Edge weights are float32 in every model and in the published files; storing them rounded
    makes the text form short (`0.13810565`) and the round trip to the published JSON exact."""
    rounded = _float32(value)
    if not 0.0 < rounded < 1.0:
        raise ValueError(f"edge weight {value} is outside (0, 1); it is a sigmoid value")
    return rounded


def _to_peer_weight(value: float) -> float:
    """A peer's softmax weight, read as a probability (its logit is log w): float32 like an edge
    weight, in (0, 1]; a block's written weights need not sum to 1 (softmax renormalises them)."""
    rounded = _float32(value)
    if not 0.0 < rounded <= 1.0:
        raise ValueError(f"peer weight {value} is outside (0, 1]; it is a softmax probability")
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
PeerWeight = Annotated[float, AfterValidator(_to_peer_weight)]
Filters = tuple[int, int, int]  # AssembleNet++lite: inverted bottleneck widths, the output last


def _check_block_channels(value: int | tuple[int, ...]) -> int | tuple[int, ...]:
    """One C, or a lite block's three filter counts: each at least 1 and at most MAX_CHANNELS."""
    if isinstance(value, tuple) and len(value) != 3:
        raise ValueError(f"C={list(value)} gives {len(value)} filter counts; a lite block gives 3, e.g. C=[27, 27, 12]")
    for c in value if isinstance(value, tuple) else (value,):
        if c < 1:
            raise ValueError(f"C={c} must be at least 1")
        if c > MAX_CHANNELS:
            raise ValueError(f"C {c} is more than {MAX_CHANNELS}, the largest anet accepts")
    return value


BlockChannels = Annotated[int | tuple[int, ...], AfterValidator(_check_block_channels)]
Width = Annotated[float, AfterValidator(_check_width)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
NodeId = Annotated[str, Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,63}|[0-9]{1,9})$")]
Modality = Literal["rgb", "flow", "object"]
AttentionMode = Literal["none", "self", "peer"]
Family = Literal["assemblenet", "lite"]
MutationKind = Literal[
    "init", "guided_edges", "random_edges", "split", "merge", "dilation", "repair", "attention", "peers"
]
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
