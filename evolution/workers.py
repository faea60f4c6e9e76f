"""Where candidates are trained: in this process, in local worker processes, or on a Ray cluster.

Each backend takes a batch of tasks and returns one result per task. A worker that dies (killed,
segfault, out of memory at the process level) has its task run again, up to `max_retries` times,
after which the candidate is recorded as failed with that reason.

Local worker processes never outlive the search process, however it ends: they ignore Ctrl-C (the
search process handles it, for the whole process group, and stops them), and they die with it when
it is killed (see `_worker_init`).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Protocol

from .fitness import FitnessResult, FitnessTask, evaluate, pinned_precision
from .measuring import MeasureResult, MeasureTask, measure

Report = Callable[[FitnessResult], None]
CostReport = Callable[[MeasureResult], None]
MeasureFn = Callable[[MeasureTask], MeasureResult]


def measure_here(tasks: Sequence[MeasureTask], report: CostReport, measure_fn: MeasureFn) -> None:
    """One at a time in this process, while no candidate trains (the search waits for a batch's
    training before it makes the next): a timing is never shared with training on the same cores."""
    for task in tasks:
        report(measure_fn(task))


class Workers(Protocol):
    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        """Evaluate every task; call `report` with each result as soon as it is known."""

    def measure(self, tasks: Sequence[MeasureTask], report: CostReport) -> None:
        """Measure every candidate's cost, one at a time and never beside training; `report` each."""

    def close(self, *, cancel: bool = False) -> None:
        """Release the workers; `cancel` stops training in flight (the search is stopping)."""


class InProcess:
    """One at a time in this process: the default for a single worker, and the simplest to debug."""

    def __init__(
        self, evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate, measure_fn: MeasureFn = measure
    ) -> None:
        self.evaluate_fn = evaluate_fn
        self.measure_fn = measure_fn

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        for task in tasks:
            report(self.evaluate_fn(task))

    def measure(self, tasks: Sequence[MeasureTask], report: CostReport) -> None:
        measure_here(tasks, report, self.measure_fn)

    def close(self, *, cancel: bool = False) -> None:
        pass


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_SECONDS = 0.5


def _worker_init(parent: int, pinned: str = "") -> None:
    """Runs first in every worker process. `pinned` is the search's precision for every candidate
    (`pinned_precision`), "" for none. Ctrl-C reaches the whole process group; the search
    process alone handles it (its workers would each print a KeyboardInterrupt traceback). And a
    worker must not outlive the search process: if that is killed (SIGKILL leaves it no chance to
    stop its workers), the kernel kills the worker (Linux's parent-death signal), and a thread that
    watches the parent's pid does it elsewhere and covers the moment before the signal was set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if pinned:
        from ..training.device import PINNED_CHOICE  # torch is imported in workers only

        os.environ[PINNED_CHOICE] = pinned
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the search process died before this line
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="anet-parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT while worker processes start: they inherit the mask, so a Ctrl-C during their
    start-up stays pending until `_worker_init` ignores it, instead of a traceback from an import.
    In this process the signal is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class LocalProcesses:
    """N worker processes (spawned, so no state leaks from the search process into training)."""

    def __init__(
        self,
        workers: int,
        *,
        max_retries: int = 2,
        evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate,
        measure_fn: MeasureFn = measure,
    ) -> None:
        self.workers = workers
        self.max_retries = max_retries
        self.evaluate_fn = evaluate_fn
        self.measure_fn = measure_fn
        self._pool: ProcessPoolExecutor | None = None
        self._pinned: str | None = None  # the workers' precision (`pinned_precision`); "": none

    def measure(self, tasks: Sequence[MeasureTask], report: CostReport) -> None:
        measure_here(tasks, report, self.measure_fn)

    def _executor(self, first: FitnessTask) -> ProcessPoolExecutor:
        if self._pool is None:
            if self._pinned is None:  # measured once, before the first pool: a new pool keeps it
                self._pinned = pinned_precision(first) or ""
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(os.getpid(), self._pinned),
            )
        return self._pool

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        """At most `workers` tasks in flight. When a worker dies, the pool breaks and every task in
        flight fails with it, so the culprit is not known: those tasks are run again one at a time
        ("suspects"), and only a task that dies alone uses up a retry. (Counting a retry for every
        task in flight would fail innocent candidates beside one that kills its worker.)"""
        queue = deque(tasks)
        suspects: deque[FitnessTask] = deque()
        attempts = {t.key: 0 for t in tasks}
        running: dict[Future[FitnessResult], FitnessTask] = {}
        while queue or suspects or running:
            broken_pool = False
            pool = self._executor(tasks[0])
            source = suspects if suspects else queue
            limit = 1 if suspects else self.workers
            while source and len(running) < limit:
                task = source.popleft()
                try:
                    with _sigint_blocked():  # a submit starts a worker process while there are fewer
                        future = pool.submit(self.evaluate_fn, task)
                    running[future] = task
                except BrokenProcessPool:  # it broke since the last look: the task never started
                    source.appendleft(task)
                    broken_pool = True
                    break
            in_flight = len(running)
            broken: list[FitnessTask] = []
            if not broken_pool:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    task = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken.append(task)
                    else:
                        report(result)
                if not broken:
                    continue
            # The pool is broken: every task still in flight fails with it. Then a fresh pool.
            for future, task in running.items():
                try:
                    report(future.result())
                except BrokenProcessPool:
                    broken.append(task)
            running.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
            self._pool = None
            if in_flight == 1 and len(broken) == 1:  # it was alone in the pool: its own doing
                task = broken[0]
                attempts[task.key] += 1
                if attempts[task.key] > self.max_retries:
                    died = f"worker process died {attempts[task.key]} times"
                    report(FitnessResult(task.candidate, error=died, retrain_seed=task.retrain_seed))
                else:
                    suspects.appendleft(task)
            else:
                suspects.extend(broken)

    def close(self, *, cancel: bool = False) -> None:
        if self._pool is None:
            return
        if cancel:  # stop the training in flight: the pool sees its workers die, and ends
            processes = getattr(self._pool, "_processes", None) or {}  # no public API before 3.14
            for process in list(processes.values()):
                with contextlib.suppress(OSError):
                    process.terminate()
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
        measure_fn: MeasureFn = measure,
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
        self._measure = ray.remote(max_retries=max_retries, num_cpus=1)(measure_fn)
        # what `ray.get` raises for a task whose worker died or raised after its retries
        self.failures = (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError, ray.exceptions.NodeDiedError)

    def run(self, tasks: Sequence[FitnessTask], report: Report) -> None:
        ray = self.ray
        # Each task holds one of Ray's CPUs (num_cpus=1) on whichever machine runs it: one torch
        # thread, not the search machine's cores divided among the workers.
        refs = {self._remote.remote(replace(t, threads=1)): t for t in tasks}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                task = refs[ref]
                try:
                    report(ray.get(ref))
                except self.failures as exc:  # retries are used up
                    failed = f"Ray worker failed: {type(exc).__name__}"
                    report(FitnessResult(task.candidate, error=failed, retrain_seed=task.retrain_seed))

    def measure(self, tasks: Sequence[MeasureTask], report: CostReport) -> None:
        """On the cluster's workers, on their own device (each `Cost` names it and its host), one at
        a time: the search submits no training until the batch is measured, so no task of this search
        shares a machine with a measurement. (Other users of a shared cluster can: docs/search.md.)"""
        ray = self.ray
        for task in tasks:
            gpus = 1 if task.target.get("device") == "cuda" else 0
            ref = self._measure.options(num_gpus=gpus).remote(task)
            try:
                report(ray.get(ref))
            except self.failures as exc:  # retries are used up
                report(MeasureResult(task.candidate, error=f"Ray worker failed: {type(exc).__name__}"))

    def close(self, *, cancel: bool = False) -> None:
        pass  # the cluster (or local instance) outlives the search; ray.shutdown is the caller's choice


def make_workers(
    backend: str,
    workers: int,
    *,
    address: str | None = None,
    max_retries: int = 2,
    evaluate_fn: Callable[[FitnessTask], FitnessResult] = evaluate,
    measure_fn: MeasureFn = measure,
) -> Workers:
    if backend == "ray":
        return RayWorkers(
            workers, address=address, max_retries=max_retries, evaluate_fn=evaluate_fn, measure_fn=measure_fn
        )
    if workers <= 1:
        return InProcess(evaluate_fn, measure_fn)
    return LocalProcesses(workers, max_retries=max_retries, evaluate_fn=evaluate_fn, measure_fn=measure_fn)
