"""`anet evolve` killed with SIGKILL at random points and resumed with --resume, again and again:
the result is the uninterrupted search's, to the byte.

Kill points are random: after a random number of new journal events plus a random delay of a
few milliseconds (so inside whatever the engine is doing: an fsync, a file write, a worker's
training), a random delay after the journal starts growing, or a random delay after launch
(during start-up and replay). The whole process group is killed, worker processes included.

What a resume may legitimately do again: train a candidate whose training was in flight (its
result was not journaled). What it must never do: journal anything twice. So the strongest
property holds: the crashed run's journal has exactly the uninterrupted run's events (timings
aside), each candidate one `created` and one `evaluated`/`failed` event, one `population` event
per round, in the same order.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evo_helpers import comparable, events, files, run_search, without_timings

import anet.evolution.search as search_module
from anet.cli.lock import LOCK
from anet.evolution import EvolutionConfig
from anet.evolution.journal import JOURNAL
from anet.evolution.report import load_state
from anet.evolution.workers import InProcess

pytestmark = pytest.mark.slow  # kills and resumes searches in subprocesses

OPTIONS = ["--fitness", "synthetic", "--population", "8", "--rounds", "40", "--random-seed", "7"]
EXAMPLES = Path(__file__).parents[2] / "examples"
SEEDS = ["--seed", str(EXAMPLES / "two_stream_fusion_lv4.anet"), "--seed", str(EXAMPLES / "one_stream_rgb.anet")]


# A search for a deployment: every candidate measured (journaled once), ranked on two objectives,
# and its front re-evaluated with fresh seeds at the end (each retraining journaled).
PARETO = ["--objective", "pareto", "--reevaluate", "3", "--reevaluate-seeds", "2"]


def launch(run: Path, workers: int, log, *, new: bool, extra: list[str]) -> subprocess.Popen:
    where = ["--out", str(run), *OPTIONS, *extra] if new else ["--resume", str(run)]
    return subprocess.Popen(
        [sys.executable, "-m", "anet", "evolve", *where, "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes the worker processes too
        env=os.environ | {"COLUMNS": "100"},
    )


def journal_lines(run: Path) -> int:
    path = run / JOURNAL
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_for(condition, process: subprocess.Popen, timeout: float = 120.0) -> bool:
    """Poll until `condition()`; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the search made no progress"
        time.sleep(0.002)
    return True


def crash_repeatedly(run: Path, workers: int, kills: int, rng: random.Random, log, extra: list[str]) -> list[str]:
    """Run the search to its end, killing it `kills` times; returns how each kill was placed."""
    process = launch(run, workers, log, new=True, extra=extra)
    placed: list[str] = []
    # journal events of the whole search: start, created + measured + evaluated, population (and
    # the re-evaluations of a pareto search, which the kills then also reach)
    total = 1 + 3 * (8 + 40) + 41
    while len(placed) < kills:
        lines = journal_lines(run)
        room = (total - lines - 2) // (kills - len(placed))  # events to spend on this kill, at most
        modes = ["events", "events", "working", "start-up"] if lines and room > 30 else ["events"]
        mode = rng.choice(modes)
        if mode == "events":  # after 1-8 more journal events, plus up to 10 ms
            target = lines + rng.randint(1, max(1, min(8, room - 2)))
            alive = wait_for(lambda target=target: journal_lines(run) >= target, process)
            delay = rng.uniform(0, 0.01)
        elif mode == "working":  # once the engine is at work again, after up to 80 ms
            alive = wait_for(lambda lines=lines: journal_lines(run) > lines, process)
            delay = rng.uniform(0, 0.08)
        else:  # during start-up: imports, journal replay, rewriting the files
            alive, delay = True, rng.uniform(0.05, 1.0)
        time.sleep(delay)
        if not alive or process.poll() is not None:
            break  # finished before this kill
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        placed.append(f"{mode} at line {journal_lines(run)}")
        process = launch(run, workers, log, new=journal_lines(run) == 0, extra=extra)  # no start yet: anew
    assert process.wait(timeout=180) == 0, f"anet evolve failed: see {log.name}"
    return placed


@pytest.mark.parametrize(
    ("workers", "kills", "extra"), [(1, 10, []), (2, 3, []), (1, 4, SEEDS), (1, 6, PARETO), (2, 3, PARETO)]
)
def test_sigkill_and_resume_give_the_uninterrupted_result(tmp_path, monkeypatch, workers, kills, extra):
    """`extra`: options of the new run. With seed files too: a resume takes them from the journal
    (issue 11); and a search for a deployment, whose measurements and re-evaluations are journaled,
    not made again (issue 23)."""
    rng = random.Random(1000 + workers + len(extra))
    run = tmp_path / "crashed"
    with (tmp_path / "log.txt").open("wb") as log:
        placed = crash_repeatedly(run, workers, kills, rng, log, extra)
    assert len(placed) == kills, f"the search ended after {len(placed)} kills: {placed}"

    # the uninterrupted search with the same settings (taken from the crashed run's journal), its
    # workers in this process: results do not depend on the back end (see test_workers)
    crashed_events = events(run)
    config = EvolutionConfig.model_validate(crashed_events[0]["config"])
    assert (config.population, config.rounds, config.seed, config.workers) == (8, 40, 7, workers)
    monkeypatch.setattr(search_module, "make_workers", lambda *a, **k: InProcess(k["evaluate_fn"], k["measure_fn"]))
    reference_run = tmp_path / "reference"
    reference = run_search(reference_run, config, seeds=crashed_events[0]["seeds"])
    assert len(crashed_events[0]["seeds"]) == (0 if extra is PARETO else len(extra) // 2)
    reference_events = events(reference_run)

    # the same search: candidates with their fitness, population history, best
    state = load_state(run)
    assert comparable(state) == comparable(reference), placed
    # the same files, byte for byte; nothing extra (no temporaries), nothing missing
    crashed_files, reference_files = files(run), files(reference_run)
    assert set(crashed_files) == set(reference_files) | {"fitness.png", LOCK}, placed
    assert crashed_files.items() >= reference_files.items(), placed
    # nothing journaled twice, nothing lost
    assert collections.Counter(map(without_timings, crashed_events)) == collections.Counter(
        map(without_timings, reference_events)
    )
    per_candidate = collections.defaultdict(list)
    for event in crashed_events:
        if "id" in event:
            per_candidate[event["id"]].append(event["event"])
    assert set(per_candidate) == set(reference.candidates)
    once = (["created", "measured", "evaluated"], ["created", "measured", "failed"])
    assert all(tuple(kinds[:3]) in map(tuple, once) for kinds in per_candidate.values()), per_candidate
    assert all(set(kinds[3:]) <= {"retrained"} for kinds in per_candidate.values()), per_candidate
    retrained = [e for e in crashed_events if e["event"] == "retrained"]
    assert len(retrained) == (3 * 2 if extra is PARETO else 0)
    assert len({(e["id"], e["seed"]) for e in retrained}) == len(retrained)
    populations = [e for e in crashed_events if e["event"] == "population"]
    assert [e["round"] for e in populations] == list(range(41))
    assert populations == [e for e in reference_events if e["event"] == "population"]
    assert [e["event"] for e in crashed_events].count("start") == 1
