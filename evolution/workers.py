"""Where candidates are trained: in this process, in local worker processes, or on a Ray cluster.

Each backend takes a batch of tasks and returns one result per task. A worker that dies (killed,
segfault, out of memory at the process level) has its task run again, up to `max_retries` times,
after which the candidate is recorded as failed with that reason.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate

Report = Callable[[FitnessResult], None]


class Workers(Protocol):
    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        """Evaluate every task; call `report` with each result as soon as it is known."""

    def close(self) -> None: ...


class InProcess:
    """One at a time in this process: the default for a single worker, and the simplest to debug."""

    def __init__(self, evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate) -> None:
        self.evaluate_fn = evaluate_fn

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        for task in tasks:
            report(self.evaluate_fn(task))

    def close(self) -> None:
        pass


class LocalProcesses:
    """N worker processes (spawned, so no state leaks from the search process into training)."""

    def __init__(
        self, workers: int, *, max_retries: int = 2, evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate
    ) -> None:
        self.workers = workers
        self.max_retries = max_retries
        self.evaluate_fn = evaluate_fn
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        attempts = {t.candidate: 0 for t in tasks}
        waiting = list(tasks)
        while waiting:
            pool = self._executor()
            futures: dict[Future[FitnessResult], FitnessTask] = {pool.submit(self.evaluate_fn, t): t for t in waiting}
            waiting = []
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = futures[future]
                    try:
                        report(future.result())
                    except BrokenProcessPool:
                        attempts[task.candidate] += 1
                        if attempts[task.candidate] > self.max_retries:
                            report(
                                FitnessResult(
                                    task.candidate, error=f"worker process died {attempts[task.candidate]} times"
                                )
                            )
                        else:
                            waiting.append(task)
            if waiting:  # the pool is broken: start a fresh one for the retries
                self._pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
                self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayWorkers:
    """The same search on a Ray cluster (`ray` is an optional extra: pip install 'anet[ray]').
    `address` is a running cluster's address, or None for a local Ray instance."""

    def __init__(
        self,
        workers: int,
        *,
        address: str | None = None,
        max_retries: int = 2,
        evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate,
    ) -> None:
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError("the Ray backend needs ray: pip install 'anet[ray]'") from exc
        self.ray = ray
        if not ray.is_initialized():
            ray.init(
                address=address,
                include_dashboard=False,
                logging_level="ERROR",
                **({} if address else {"num_cpus": workers}),
            )
        self.workers = workers
        self.max_retries = max_retries
        self._remote = ray.remote(max_retries=max_retries, num_cpus=1)(evaluate_fn)

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        ray = self.ray
        refs = {self._remote.remote(t): t for t in tasks}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                task = refs[ref]
                try:
                    report(ray.get(ref))
                except (
                    ray.exceptions.WorkerCrashedError,
                    ray.exceptions.RayTaskError,
                    ray.exceptions.NodeDiedError,
                ) as exc:  # retries are used up
                    report(FitnessResult(task.candidate, error=f"Ray worker failed: {type(exc).__name__}"))

    def close(self) -> None:
        pass  # the cluster (or local instance) outlives the search; ray.shutdown is the caller's choice


def make_workers(
    backend: str,
    workers: int,
    *,
    address: str | None = None,
    max_retries: int = 2,
    evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate,
) -> Workers:
    if backend == "ray":
        return RayWorkers(workers, address=address, max_retries=max_retries, evaluate_fn=evaluate_fn)
    if workers <= 1:
        return InProcess(evaluate_fn)
    return LocalProcesses(workers, max_retries=max_retries, evaluate_fn=evaluate_fn)
