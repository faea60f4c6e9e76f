"""The search state as a pure function of the journal: candidates, the population and how far the
rounds got. Resuming after a crash is replaying the journal; nothing else is trusted."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cost.record import Cost
from ..dsl import Mutation
from .config import EvolutionConfig
from .events import Created, Evaluated, Event, Failed, Measured, Population, Rejected, Retrained, Start, Status
from .journal import JournalError, read


@dataclass
class Candidate:
    id: str
    round: int
    parent: str | None
    hash: str
    text: str  # the architecture as created (no fitness, no weights)
    mutations: tuple[Mutation, ...]
    status: Status = "pending"
    fitness: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    weights: dict[str, list[float]] = field(default_factory=dict)
    peer_weights: dict[str, list[float]] = field(default_factory=dict)
    reason: str | None = None
    reused_from: str | None = None
    seconds: float = 0.0
    cost: Cost | None = None
    retrained: dict[int, float] = field(default_factory=dict)  # fresh seed -> fitness (failures left out)
    retrain_failures: dict[int, str] = field(default_factory=dict)  # fresh seed -> why it failed

    @property
    def retrained_mean(self) -> float | None:
        return statistics.mean(self.retrained.values()) if self.retrained else None

    @property
    def retrained_se(self) -> float | None:
        """Standard error of the mean of the fresh-seed fitnesses (sample deviation / sqrt(n))."""
        values = list(self.retrained.values())
        return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None


@dataclass(frozen=True)
class PopulationRound:
    """The population after one round was applied: what the fitness-over-rounds curve reads."""

    round: int
    members: tuple[str, ...]


@dataclass
class SearchState:
    config: dict[str, Any] | None = None
    settings: EvolutionConfig | None = None  # `config` read back (older runs' missing settings filled in)
    seeds: list[str] = field(default_factory=list)  # the seed architectures' texts, from `start`
    candidates: dict[str, Candidate] = field(default_factory=dict)
    population: list[str] = field(default_factory=list)
    applied: int = -1  # last round whose candidates went into the population (0 = initial population)
    history: list[PopulationRound] = field(default_factory=list)  # one per applied round

    @classmethod
    def replay(cls, events: Iterable[Event]) -> SearchState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    @classmethod
    def load(cls, path: Path) -> SearchState:
        """Replay a journal file; an event that does not fit the ones before it (an unknown kind or
        a missing field: `read` says so; a candidate never created) is a JournalError naming its line."""
        state = cls()
        for number, event in enumerate(read(path), start=1):
            try:
                state.apply(event)
            except (KeyError, ValueError, TypeError) as exc:
                raise JournalError(path, number, f"an event that does not follow the ones before ({exc!r})") from None
        return state

    def apply(self, event: Event) -> None:
        match event:
            case Start():
                self.config = event.config
                self.settings = EvolutionConfig.from_record(event.config)
                self.seeds = list(event.seeds)
            case Created():
                self.candidates[event.id] = Candidate(
                    event.id, event.round, event.parent, event.hash, event.text, event.mutations
                )
            case Evaluated():
                c = self.candidates[event.id]
                c.status, c.fitness, c.metrics, c.weights = "evaluated", event.fitness, event.metrics, event.weights
                c.peer_weights = event.peer_weights
                c.reused_from, c.seconds, c.reason = event.reused_from, event.seconds, None
            case Failed():
                c = self.candidates[event.id]
                c.status, c.reason, c.seconds = "failed", event.reason, event.seconds
            case Measured():
                self.candidates[event.id].cost = event.cost
            case Rejected():
                c = self.candidates[event.id]
                c.status, c.reason = "rejected", event.reason
            case Retrained():
                c = self.candidates[event.id]
                if event.fitness is None:
                    c.retrain_failures[event.seed] = event.reason or "failed"
                else:
                    c.retrained[event.seed] = event.fitness
                    c.retrain_failures.pop(event.seed, None)
            case Population():
                self.population, self.applied = list(event.members), event.round
                entry = PopulationRound(event.round, tuple(event.members))
                if self.history and self.history[-1].round == event.round:
                    self.history[-1] = entry  # retried candidates joined the population of that round
                else:
                    self.history.append(entry)

    # -- queries ------------------------------------------------------------------------------

    def fitness(self, candidate_id: str) -> float:
        value = self.candidates[candidate_id].fitness
        return float("-inf") if value is None else value

    def in_round(self, round_: int) -> list[Candidate]:
        return sorted((c for c in self.candidates.values() if c.round == round_), key=lambda c: c.id)

    def evaluated_with_hash(self, digest: str) -> Candidate | None:
        for c in self.candidates.values():
            if c.hash == digest and c.status == "evaluated" and c.reused_from is None:
                return c
        return None

    def measured_with_hash(self, digest: str) -> Candidate | None:
        for c in self.candidates.values():
            if c.hash == digest and c.cost is not None:
                return c
        return None

    def best(self) -> Candidate | None:
        """The run's answer under its own objective (see `objectives.best`)."""
        from .objectives import best

        return best(self, self.settings or EvolutionConfig())
