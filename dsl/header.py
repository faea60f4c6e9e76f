"""The header of an .anet file: the `Header` model and `HEADER_FIELDS`, the table of its settings.

Each row of the table is one header keyword: how the parser reads its value, and how the printer
writes it back (or leaves it out); the table's order is the canonical order of the header. The
transformer (`grammar.py`), the builder and the printer all follow the table, so a new setting is a
rule in `grammars/anet.lark` plus, here, a `Header` field and a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, FiniteFloat, model_validator

from ..paper import DEPTH_REPEATS, default_budget
from .constants import MAX_REPEATS
from .values import (
    AstNode,
    AttentionMode,
    ChannelSum,
    Classes,
    Family,
    Frames,
    Identifier,
    MutationKind,
    Size,
    Trivia,
    Width,
)


def _setting_keys(model: type[AstNode]) -> tuple[str, ...]:
    """The keys of a `key=value` header line: its model's fields, in order. The grammar's terminal
    for them (`BUDGET_KEY`, `PYRAMID_KEY`) is the one other list, checked against this by a test."""
    return tuple(name for name in model.model_fields if name not in AstNode.model_fields)


class Budget(AstNode):
    """Per-level channel budgets; a level left out uses the default of the network's depth."""

    stems: ChannelSum | None = None
    l1: ChannelSum | None = None
    l2: ChannelSum | None = None
    l3: ChannelSum | None = None
    l4: ChannelSum | None = None


BUDGET_KEYS = _setting_keys(Budget)


def _drop_empty_budget(budget: Budget | None) -> Budget | None:
    """`budget` with nothing in it means the defaults, and prints as nothing."""
    if budget is None or all(getattr(budget, k) is None for k in BUDGET_KEYS):
        return None
    return budget


class Pyramid(AstNode):
    """Settings of the coarse-to-fine flow layer (`flow pyramid`); one left out keeps the layer's
    measured default. Each field is the `anet.runtime.PyramidFlow` argument of the same name, which
    the compiled model passes it to (the runtime imports no dsl, so a test checks the names)."""

    scales: Annotated[int, Field(ge=1, le=12)] | None = None
    warps: Annotated[int, Field(ge=1, le=100)] | None = None
    iterations: Annotated[int, Field(ge=1, le=1000)] | None = None
    resolution: Annotated[float, Field(gt=0, le=1)] | None = None
    median: Literal[1, 3, 5] | None = None  # 1: no median filter

    def settings(self) -> dict[str, int | float]:
        return {key: value for key in PYRAMID_KEYS if (value := getattr(self, key)) is not None}


PYRAMID_KEYS = _setting_keys(Pyramid)


def _drop_empty_pyramid(pyramid: Pyramid | None) -> Pyramid | None:
    return pyramid if pyramid is not None and pyramid.settings() else None


class Retrained(AstNode):
    """The re-evaluation `anet evolve --reevaluate` gives its top candidates: the fitness retrained
    from scratch with fresh seeds, whose spread says how much of a ranking is noise. `se` (standard
    error, std / sqrt(runs)) needs two runs; one run leaves it out."""

    mean: FiniteFloat
    se: Annotated[FiniteFloat, Field(ge=0)] | None = None
    runs: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _spread_needs_two_runs(self) -> Retrained:
        if self.se is not None and self.runs < 2:
            raise ValueError(f"retrained se={self.se} needs at least 2 runs; this line says runs={self.runs}")
        return self


RETRAINED_KEYS = _setting_keys(Retrained)


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
    family: Family = "assemblenet"  # `lite`: AssembleNet++lite's stems, 3D inverted bottleneck blocks, head
    depth: Depth = 50
    pool: Literal["avg", "max"] = "avg"
    edges: Literal["learned", "fixed"] = "learned"
    attention: AttentionMode = "none"  # AssembleNet++: every block's, unless the block says otherwise
    flow: Literal["computed", "input", "pyramid"] = "computed"
    pyramid: Annotated[Pyramid | None, AfterValidator(_drop_empty_pyramid)] = None
    frames: Frames = 32
    size: Size = 224
    width: Width = 1.0
    budget: Annotated[Budget | None, AfterValidator(_drop_empty_budget)] = None
    # Descendant metadata, written by `anet evolve`.
    parent: Annotated[str, Field(pattern=r'^[^"\n\\]*$')] | None = None
    round: Annotated[int, Field(ge=0)] | None = None
    fitness: FiniteFloat | None = None  # `fitness 1e999` would print as `inf`, which does not parse
    # Deployment cost, measured by `anet evolve` at the run's deploy shape and device (docs/search.md).
    latency: Annotated[FiniteFloat, Field(ge=0)] | None = None  # ms, median of the timed runs
    gflops: Annotated[FiniteFloat, Field(ge=0)] | None = None
    params: Annotated[int, Field(ge=0)] | None = None
    retrained: Retrained | None = None
    mutations: tuple[Mutation, ...] | None = None
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{1,64}$")] | None = None
    trivia: Mapping[str, Trivia] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _pyramid_needs_its_layer(self) -> Header:
        if self.pyramid is not None and self.flow != "pyramid":
            raise ValueError(f"`pyramid` settings apply to `flow pyramid` only; this file says `flow {self.flow}`")
        return self

    @property
    def repeats(self) -> tuple[int, int, int, int]:
        """Modules per block at levels 1-4 (m = repeats / 2 in the paper's terms)."""
        return self.depth if isinstance(self.depth, tuple) else DEPTH_REPEATS[self.depth]

    def channel_budget(self, level: int) -> int:
        """The largest sum of C allowed at `level` (0 = stems)."""
        key = "stems" if level == 0 else f"l{level}"
        given = getattr(self.budget, key) if self.budget else None
        return given if given is not None else default_budget(self.depth)[level]


# --- the table of settings ---------------------------------------------------------------------

Form = Literal["value", "settings", "items"]


@dataclass(frozen=True)
class HeaderField:
    """One header keyword. `form`: one value (`classes 157`; read by `read` from its token),
    `key=value` settings (`clip frames=32 size=224`; each its own `Header` field, or all in the
    field named by `nested`: `budget`), or a bracketed list of items (`mutations [...]`).
    `show` is the text the printer writes after the keyword, None to leave the line out."""

    keyword: str
    show: Callable[[Header], str | None]
    read: Callable[[str], Any] = str
    form: Form = "value"
    nested: str | None = None


def _shown(h: Header, name: str) -> bool:
    """Written in the file, or different from the default: the printer keeps explicit defaults."""
    return name in h.model_fields_set or getattr(h, name) != Header.model_fields[name].default


def _setting(name: str, text: Callable[[Any], str] = str) -> Callable[[Header], str | None]:
    return lambda h: text(getattr(h, name)) if _shown(h, name) else None


def _metadata(name: str, text: Callable[[Any], str] = str) -> Callable[[Header], str | None]:
    return lambda h: None if getattr(h, name) is None else text(getattr(h, name))


def _float(value: float) -> str:
    """The shortest text that reads back as the same float."""
    return repr(float(value))


def _depth(depth: int | tuple[int, ...]) -> str:
    return str(depth) if isinstance(depth, int) else "[" + ", ".join(map(str, depth)) + "]"


def _clip(h: Header) -> str | None:
    return " ".join(f"{name}={getattr(h, name)}" for name in ("frames", "size") if _shown(h, name)) or None


def _budget(budget: Budget) -> str:
    return " ".join(f"{key}={value}" for key in BUDGET_KEYS if (value := getattr(budget, key)) is not None)


def _pyramid(pyramid: Pyramid) -> str:
    return " ".join(f"{key}={value:g}" for key, value in pyramid.settings().items())


def _retrained(retrained: Retrained) -> str:
    se = "" if retrained.se is None else f" se={retrained.se!r}"
    return f"mean={retrained.mean!r}{se} runs={retrained.runs}"


def _mutations(mutations: tuple[Mutation, ...]) -> str:
    return "[" + ", ".join(f"{m.kind}({', '.join(m.args)})" for m in mutations) + "]"


def _unquote(text: str) -> str:
    return text[1:-1]


HEADER_FIELDS: tuple[HeaderField, ...] = (
    HeaderField("classes", lambda h: str(h.classes), read=int),
    HeaderField("family", _setting("family")),
    HeaderField("depth", _setting("depth", _depth), read=int),
    HeaderField("pool", _setting("pool")),
    HeaderField("edges", _setting("edges")),
    HeaderField("attention", _setting("attention")),
    HeaderField("flow", _setting("flow")),
    HeaderField("pyramid", _metadata("pyramid", _pyramid), form="settings", nested="pyramid"),
    HeaderField("clip", _clip, read=int, form="settings"),
    HeaderField("width", _setting("width", _float), read=float),
    HeaderField("budget", _metadata("budget", _budget), read=int, form="settings", nested="budget"),
    HeaderField("parent", _metadata("parent", lambda p: f'"{p}"'), read=_unquote),
    HeaderField("round", _metadata("round"), read=int),
    HeaderField("fitness", _metadata("fitness", _float), read=float),
    HeaderField("latency", _metadata("latency", _float), read=float),
    HeaderField("gflops", _metadata("gflops", _float), read=float),
    HeaderField("params", _metadata("params"), read=int),
    HeaderField("retrained", _metadata("retrained", _retrained), form="settings", nested="retrained"),
    HeaderField("mutations", _metadata("mutations", _mutations), form="items"),
    HeaderField("hash", _metadata("hash")),
)
HEADER_KEYWORDS: dict[str, HeaderField] = {f.keyword: f for f in HEADER_FIELDS}

DESCENDANT_METADATA: tuple[str, ...] = (
    "parent",
    "round",
    "fitness",
    "latency",
    "gflops",
    "params",
    "retrained",
    "mutations",
    "hash",
)
"""The fields `anet evolve` writes about one candidate: not its architecture (the compiler and the
hash ignore them), and not inherited by its children."""
