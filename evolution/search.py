"""The search loop of section 3.2: an initial population, then rounds of tournament selection,
mutation of the fittest, training of the child, and removal of the least fit member.

With N workers, N consecutive rounds are created from the same population and trained at once;
their results enter the population in round order. Every random draw comes from a generator seeded
by (seed, round, index), so the outcome does not depend on timing, on the number of restarts, or on
where a crash happened: `resume` replays the journal, retrains what was in flight, and continues.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ..dsl import Header, Mutation, Network, architecture_hash, format_network, parse
from .config import EvolutionConfig
from .dedupe import transfer_peer_weights, transfer_weights
from .events import Created, Evaluated, Event, EventKind, Failed, Measured, Population, Rejected, Retrained, Start
from .fitness import FitnessResult, FitnessTask, evaluate
from .journal import JOURNAL, Journal
from .measuring import MeasureResult, MeasureTask, measure
from .mutate import as_candidate, child_header, make_child
from .objectives import over_budget, rank_keys, reevaluation_choice
from .random_arch import random_architecture
from .state import Candidate, SearchState
from .store import candidate_text, parse_text, remember, remove_temporaries, sync_best, sync_file, sync_pareto
from .workers import MeasureFn, Workers, make_workers

# What the listener hears: an event that changed a candidate or the population, the run's start
# (before anything), or a candidate file a user edited (kept aside, see store.sync_file).
Heard = Literal[EventKind, "edited"]
Listener = Callable[[Heard, SearchState, Candidate | None], None]


class SearchError(RuntimeError):
    """The search cannot go on for a reason the user can act on (the message says how)."""


def candidate_id(index: int) -> str:
    return f"c{index:05d}"


class Search:
    def __init__(
        self,
        run: Path,
        config: EvolutionConfig,
        *,
        seeds: Sequence[str] = (),
        evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate,
        measure_fn: MeasureFn = measure,
        listener: Listener | None = None,
        retry_failed: bool = False,
    ) -> None:
        self.run_dir = run
        self.config = config
        self.evaluate_fn = evaluate_fn
        self.measure_fn = measure_fn
        self.listener = listener or (lambda *_: None)
        self.retry_failed = retry_failed
        self.journal = Journal(run / JOURNAL)
        self.state = SearchState.load(run / JOURNAL)
        self.seeds = [parse(text) for text in seeds]
        if self.state.config is not None:  # a resume: the seeds are the run's, as its start recorded them
            recorded = [parse(text) for text in self.state.seeds]
            if self.seeds and self.seeds != recorded:
                raise SearchError(f"{run} was started with other seeds; resume it without seeds")
            self.seeds = recorded
        self.edited: list[Path] = []  # candidate files a user changed, kept aside (see store.sync_file)

    # -- driving ------------------------------------------------------------------------------

    def run(self) -> SearchState:
        cfg = self.config
        with self.journal:
            if self.state.config is None:
                self.record(Start(config=cfg.model_dump(mode="json"), seeds=[format_network(s) for s in self.seeds]))
            remove_temporaries(self.run_dir)
            for candidate in self.state.candidates.values():
                self.sync(candidate)
            workers = make_workers(
                cfg.backend,
                cfg.workers,
                address=cfg.address,
                max_retries=cfg.max_retries,
                evaluate_fn=self.evaluate_fn,
                measure_fn=self.measure_fn,
            )
            try:
                if self.retry_failed:
                    self.retry(workers)
                for index in range(cfg.population):
                    if candidate_id(index) not in self.state.candidates:
                        self.create(candidate_id(index), 0, index)
                self.train([c for c in self.state.in_round(0) if c.status == "pending"], workers)
                if self.state.applied < 0:
                    members = [c.id for c in self.state.in_round(0) if c.status == "evaluated"]
                    self.record(Population(round=0, members=members))
                while self.state.applied < cfg.rounds:
                    # Batches are fixed blocks of rounds (1..W, W+1..2W, ...), so that a resume
                    # after a crash inside a batch finishes that batch rather than starting a new
                    # one, whose children would come from another population than uninterrupted.
                    batch_end = (self.state.applied // cfg.workers + 1) * cfg.workers
                    batch = range(self.state.applied + 1, min(batch_end, cfg.rounds) + 1)
                    for round_ in batch:
                        cid = candidate_id(cfg.population - 1 + round_)
                        if cid not in self.state.candidates:
                            self.create(cid, round_, 0)
                    pending = [c for r in batch for c in self.state.in_round(r) if c.status == "pending"]
                    self.train(pending, workers)
                    for round_ in batch:
                        self.insert(self.state.in_round(round_), round_)
                if cfg.reevaluate:
                    self.reevaluate(workers)
            except BaseException:  # a failure, Ctrl-C, SIGTERM: stop the training in flight now
                workers.close(cancel=True)
                raise
            workers.close()
            sync_best(self.run_dir, self.state.best())
            sync_pareto(self.run_dir, self.state)
        return self.state

    def record(self, event: Event) -> None:
        """Journal first (durable), then the in-memory state, then the files it implies."""
        self.journal.append(event)
        self.state.apply(event)
        match event:
            case Created() | Evaluated() | Failed() | Measured() | Rejected() | Retrained():
                candidate = self.state.candidates[event.id]
                self.sync(candidate)
                self.listener(event.event, self.state, candidate)
            case Population():
                sync_best(self.run_dir, self.state.best())
                sync_pareto(self.run_dir, self.state)
                self.listener("population", self.state, None)
            case Start():
                pass

    def sync(self, candidate: Candidate) -> None:
        kept = sync_file(self.run_dir, candidate)
        if kept is not None:
            self.edited.append(kept)
            self.listener("edited", self.state, candidate)

    # -- candidates ---------------------------------------------------------------------------

    def rng(self, round_: int, index: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, round_, index])

    def base_header(self) -> Header:
        if self.seeds:
            return child_header(self.seeds[0])
        classes = self.config.classes
        if classes is None and self.config.fitness == "proxy":
            from ..data.spec import parse_data_spec

            classes = parse_data_spec(self.config.data).num_classes
        return Header(name="candidate", classes=classes or 10)

    def create(self, cid: str, round_: int, index: int) -> None:
        rng = self.rng(round_, index)
        parent_id: str | None = None
        if round_ == 0 and self.seeds:
            seed = self.seeds[index % len(self.seeds)]
            if index < len(self.seeds):  # each seed once as written (learning its own weights) ...
                child, mutations = as_candidate(seed), ()
            else:  # ... then mutated copies
                child, mutations = make_child(
                    seed,
                    rng,
                    strategy="guided" if self.config.strategy == "guided" else "standard",
                    max_node_mutations=self.config.max_node_mutations,
                    attention=self.config.attention,
                )
        elif round_ == 0 or self.config.strategy == "random":
            arch, splits = random_architecture(
                self.base_header(), rng, edge_probability=self.config.edge_probability, attention=self.config.attention
            )
            child, mutations = arch.to_network(keep_weights=False), (Mutation(kind="init", args=(str(splits),)),)
        else:
            parent_id = self.tournament(rng)
            parent = parse_text(self.parent_text(parent_id))
            child, mutations = make_child(
                parent,
                rng,
                strategy=self.config.strategy,
                threshold=self.config.threshold,
                max_node_mutations=self.config.max_node_mutations,
                standard_fraction=self.config.standard_fraction,
                attention=self.config.attention,
            )
        child = child.model_copy(update={"header": child.header.model_copy(update={"name": cid})})
        text = format_network(child)
        remember(text, child)
        self.record(
            Created(
                id=cid,
                round=round_,
                parent=parent_id,
                hash=architecture_hash(child),
                text=text,
                mutations=mutations,
            )
        )

    def parent_text(self, parent_id: str) -> str:
        return candidate_text(self.state.candidates[parent_id])

    def tournament(self, rng: np.random.Generator) -> str:
        members = self.state.population
        if not members:  # every candidate so far failed or was over budget: say why, not max() of nothing
            failed = [c for c in self.state.candidates.values() if c.status == "failed"]
            rejected = [c for c in self.state.candidates.values() if c.status == "rejected"]
            if rejected and not failed:
                cheapest = min(rejected, key=lambda c: c.cost.latency_ms if c.cost else float("inf"))
                raise SearchError(
                    f"no candidate of the initial population is within the budget ({len(rejected)} rejected; "
                    f"the cheapest, {cheapest.id}: {cheapest.reason}); start a run with a larger budget, "
                    "or with seed files (--seed) that meet it"
                )
            first = f"; {failed[0].id}: {failed[0].reason}" if failed else ""
            raise SearchError(
                f"no trained candidate to select a parent from ({len(failed)} failed{first}); "
                f"fix the cause, then anet evolve --resume {self.run_dir} --retry-failed"
            )
        size = min(self.config.tournament, len(members))
        drawn = [members[i] for i in sorted(rng.choice(len(members), size=size, replace=False))]
        keys = rank_keys(self.state, members, self.config)
        return max(drawn, key=keys.__getitem__)

    # -- training -----------------------------------------------------------------------------

    def train(self, pending: list[Candidate], workers: Workers) -> None:
        """Measure, then train what is new and within budget; an architecture already evaluated (or
        first in this batch) is not trained again."""
        self.measure(pending, workers)
        pending = [c for c in pending if c.status == "pending"]
        first_of_hash: dict[str, Candidate] = {}
        to_train = []
        for candidate in pending:
            known = self.state.evaluated_with_hash(candidate.hash)
            if known is not None:
                self.reuse(candidate, known)
            elif candidate.hash in first_of_hash:
                continue
            else:
                first_of_hash[candidate.hash] = candidate
                to_train.append(candidate)
        workers.run([self.task(c) for c in to_train], self.report)
        for candidate in pending:
            if candidate.status == "pending":
                known = self.state.evaluated_with_hash(candidate.hash)
                if known is not None:
                    self.reuse(candidate, known)
                else:  # its twin failed: so does it
                    twin = first_of_hash[candidate.hash]
                    self.record(
                        Failed(id=candidate.id, reason=f"same architecture as {twin.id}, which failed: {twin.reason}")
                    )

    def measure(self, pending: list[Candidate], workers: Workers) -> None:
        """Each candidate's cost, before any of the batch trains (so never beside its training): an
        architecture measured before is not measured again. Then those over a hard budget are
        rejected, untrained."""
        if not self.config.measure:
            return
        first_of_hash: dict[str, Candidate] = {}
        for candidate in pending:
            known = self.state.measured_with_hash(candidate.hash)
            if candidate.cost is not None or candidate.hash in first_of_hash:
                continue
            if known is not None:
                self.record(Measured(id=candidate.id, cost=known.cost, reused_from=known.id))
            else:
                first_of_hash[candidate.hash] = candidate
        target = self.config.deploy.model_dump(mode="json")
        synthetic = self.config.fitness == "synthetic"
        tasks = [MeasureTask(c.id, c.text, target, synthetic) for c in first_of_hash.values()]
        workers.measure(tasks, self.report_cost)
        for candidate in pending:
            if candidate.status != "pending":
                continue
            if candidate.cost is None:
                known = self.state.measured_with_hash(candidate.hash)
                if known is None:  # its twin's measurement failed: so does its own
                    twin = first_of_hash[candidate.hash]
                    self.record(Failed(id=candidate.id, reason=f"same architecture as {twin.id}: {twin.reason}"))
                    continue
                self.record(Measured(id=candidate.id, cost=known.cost, reused_from=known.id))
            reason = over_budget(candidate.cost, self.config)  # type: ignore[arg-type]
            if reason is not None:
                self.record(Rejected(id=candidate.id, reason=reason))

    def report_cost(self, result: MeasureResult) -> None:
        if result.cost is not None:
            self.record(Measured(id=result.candidate, cost=result.cost))
        else:
            shape = f"{self.config.deploy.shape} on {self.config.deploy.device}"
            reason = f"measuring its cost at {shape} failed: {result.error}"
            self.record(Failed(id=result.candidate, reason=reason, seconds=result.seconds))

    def report(self, result: FitnessResult) -> None:
        if result.retrain_seed is not None:
            self.record(
                Retrained(
                    id=result.candidate,
                    seed=result.retrain_seed,
                    fitness=result.fitness,
                    metrics=result.metrics,
                    reason=result.error,
                    seconds=result.seconds,
                )
            )
        elif result.error is None:
            peers = {"peer_weights": result.peer_weights} if result.peer_weights else {}  # see Evaluated
            self.record(
                Evaluated(
                    id=result.candidate,
                    fitness=result.fitness,
                    metrics=result.metrics,
                    weights=result.weights,
                    seconds=result.seconds,
                    **peers,
                )
            )
        else:
            self.record(Failed(id=result.candidate, reason=result.error, seconds=result.seconds))

    def reuse(self, candidate: Candidate, known: Candidate) -> None:
        source, target = parse(known.text), parse(candidate.text)
        weights = transfer_weights(source, known.weights, target)
        learned = transfer_peer_weights(source, known.peer_weights, target)
        peers = {"peer_weights": learned} if learned else {}  # see Evaluated
        self.record(
            Evaluated(
                id=candidate.id,
                fitness=known.fitness,
                metrics=known.metrics,
                weights=weights,
                reused_from=known.id,
                seconds=0.0,
                **peers,
            )
        )

    def insert(self, candidates: list[Candidate], round_: int) -> None:
        members = list(self.state.population)
        for candidate in candidates:
            if candidate.status == "evaluated":
                members.append(candidate.id)
                if len(members) > self.config.population:
                    # the least fit leaves (by the objective's ranking); among equals, the oldest
                    keys = rank_keys(self.state, members, self.config)
                    members.remove(min(members, key=lambda m: (keys[m], int(m[1:]))))
        self.record(Population(round=round_, members=members))

    def retry(self, workers: Workers) -> None:
        failed = [c for c in self.state.candidates.values() if c.status == "failed"]
        if not failed:
            return
        for candidate in failed:
            candidate.status = "pending"
        self.train(failed, workers)
        applied = [c for c in failed if c.status == "evaluated" and c.round <= self.state.applied]
        if applied:
            self.insert(applied, self.state.applied)

    def reevaluate(self, workers: Workers) -> None:
        """The winner's curse, measured: the top candidates trained again with fresh seeds (the
        search trained every candidate with `train.seed`), so that the reported best is chosen on a
        mean that its own selection did not inflate. Journaled per training: a resume runs what is
        missing."""
        fresh = [self.config.train.seed + k for k in range(1, self.config.reevaluate_seeds + 1)]
        tasks = [
            self.task(c, retrain_seed=seed)
            for c in reevaluation_choice(self.state, self.config, self.config.reevaluate)
            for seed in fresh
            if seed not in c.retrained and seed not in c.retrain_failures
        ]
        workers.run(tasks, self.report)

    def task(self, candidate: Candidate, *, retrain_seed: int | None = None) -> FitnessTask:
        train = self.config.train.model_dump(mode="json")
        return FitnessTask(
            candidate.id,
            candidate.text,
            self.config.fitness,
            self.config.data,
            train if retrain_seed is None else train | {"seed": retrain_seed},
            threads=max(1, (os.cpu_count() or 1) // self.config.workers),
            retrain_seed=retrain_seed,
        )


def best_network(state: SearchState) -> Network | None:
    best = state.best()
    return None if best is None else parse(candidate_text(best))
