"""Real runs for the dashboard's tests: small searches with the free synthetic fitness, run in-process
(one finished run, one whose candidate c00002 fails), and a journal that grows, line by line, from a
real one, as a live search's does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anet.evolution import EvolutionConfig, Search
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate
from anet.evolution.journal import JOURNAL


def fails_c00002(task: FitnessTask) -> FitnessResult:
    """The synthetic fitness, except that c00002's training fails (a failed event in the journal)."""
    if task.candidate == "c00002":
        return FitnessResult(task.candidate, seconds=0.25, error="RuntimeError: made to fail")
    return evaluate(task)


def search(run: Path, **settings: object) -> Path:
    config = EvolutionConfig(**({"fitness": "synthetic", "population": 4, "rounds": 6, "seed": 3} | settings))
    Search(run, config).run()
    return run


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished guided search (costs measured: synthetic ones). Tests must not change it: copy it."""
    return search(tmp_path_factory.mktemp("finished") / "run")


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished search in which c00002 failed and was never retried."""
    run = tmp_path_factory.mktemp("failing") / "run"
    config = EvolutionConfig(fitness="synthetic", population=4, rounds=4, seed=1)
    Search(run, config, evaluate_fn=fails_c00002).run()
    return run


@pytest.fixture
def run_copy(finished_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run this test may change."""
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


@pytest.fixture
def journal_lines(finished_run: Path) -> list[bytes]:
    """The finished run's journal, line by line (each ending in a newline)."""
    return (finished_run / JOURNAL).read_bytes().splitlines(keepends=True)


class GrowingJournal:
    """A run directory whose journal grows as a live search's does, by what a test appends (the
    candidate files are the finished run's: the dashboard reads the journal alone)."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.path = run / JOURNAL

    def append(self, data: bytes) -> None:
        with self.path.open("ab") as handle:
            handle.write(data)


@pytest.fixture
def growing(tmp_path: Path, finished_run: Path) -> GrowingJournal:
    """A copy of the finished run with an empty journal."""
    run = Path(shutil.copytree(finished_run, tmp_path / "live"))
    (run / JOURNAL).write_bytes(b"")
    return GrowingJournal(run)
