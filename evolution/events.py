"""The journal's events, one model per kind, told apart by their "event" name.

Typed so that every reader (the state's replay, the search's bookkeeping, the tests) handles each
kind with `match` and a type checker sees a missing field or kind. Each model writes exactly the
JSON line the search wrote before these models existed (the same keys, a mutation as
`[kind, *args]`), so runs recorded earlier resume: `tests/evolution/journal_before_typed_events.jsonl`
is such a run.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, TypeAdapter

from ..cost.record import Cost
from ..dsl import Mutation

Status = Literal["pending", "evaluated", "failed", "rejected"]
"""rejected: over a hard budget (`--max-latency`, `--max-flops`) when measured, so never trained."""


def _mutation_from_json(value: Any) -> Any:
    """`["split", "8"]` on disk is `Mutation(kind="split", args=("8",))`."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("a mutation is [kind, *args], not []")
        return Mutation(kind=value[0], args=tuple(value[1:]))
    return value


RecordedMutation = Annotated[
    Mutation,
    BeforeValidator(_mutation_from_json),
    PlainSerializer(lambda m: [m.kind, *m.args], return_type=list[str]),
]


class _Event(BaseModel):
    # Written with `exclude_unset`: an optional field appears in the line only where the search
    # set it, as before (a trained candidate's event has no "reused_from").
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Event):
    """The run's configuration (as `EvolutionConfig.model_dump`, read back through
    `EvolutionConfig.from_record`, which fills in settings older runs lack) and its seeds' texts."""

    event: Literal["start"] = "start"
    config: dict[str, Any]
    seeds: list[str] = Field(default_factory=list)


class Created(_Event):
    event: Literal["created"] = "created"
    id: str
    round: int
    parent: str | None
    hash: str
    text: str  # the architecture as created (no fitness, no weights)
    mutations: tuple[RecordedMutation, ...]


class Evaluated(_Event):
    event: Literal["evaluated"] = "evaluated"
    id: str
    fitness: float
    metrics: dict[str, float]
    weights: dict[str, list[float]]
    reused_from: str | None = None  # the candidate of the same architecture whose result this is
    seconds: float = 0.0
    # learned softmax weights of each peer-attention block's peers (AssembleNet++), in its peer order;
    # written only when a candidate has some, so a run without attention journals what it did before
    peer_weights: dict[str, list[float]] = Field(default_factory=dict)


class Failed(_Event):
    event: Literal["failed"] = "failed"
    id: str
    reason: str
    seconds: float = 0.0


class Measured(_Event):
    """A candidate's deployment cost, measured once before it is trained (never again on resume)."""

    event: Literal["measured"] = "measured"
    id: str
    cost: Cost
    reused_from: str | None = None  # the candidate of the same architecture that was measured


class Rejected(_Event):
    event: Literal["rejected"] = "rejected"
    id: str
    reason: str


class Retrained(_Event):
    """One fresh-seed training of a candidate chosen for re-evaluation at the end of the search;
    `fitness` is None (and `reason` says why) when that training failed."""

    event: Literal["retrained"] = "retrained"
    id: str
    seed: int
    fitness: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    reason: str | None = None
    seconds: float = 0.0


class Population(_Event):
    """The population after round `round` (0: the initial one); written again for the same round
    when retried candidates join it."""

    event: Literal["population"] = "population"
    round: int
    members: list[str]


Event = Annotated[
    Start | Created | Evaluated | Failed | Measured | Rejected | Retrained | Population, Field(discriminator="event")
]
EventKind = Literal["start", "created", "evaluated", "failed", "measured", "rejected", "retrained", "population"]
_EVENT = TypeAdapter(Event)


def as_event(data: dict[str, Any]) -> Event:
    """A journal line's JSON object as its event; a pydantic ValidationError (a ValueError) names
    what does not fit."""
    return _EVENT.validate_python(data)


def event_data(event: Event) -> dict[str, Any]:
    """The event as the JSON object its journal line holds."""
    # Python mode, as `json.dumps` wrote the search's dicts before (json mode would write an
    # infinite float as null).
    return event.model_dump(exclude_unset=True) | {"event": event.event}


def event_line(event: Event) -> bytes:
    """The journal line of an event: compact JSON with sorted keys, and a newline."""
    return json.dumps(event_data(event), sort_keys=True, separators=(",", ":")).encode() + b"\n"
