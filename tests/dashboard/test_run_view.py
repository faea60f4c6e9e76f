"""A run as the dashboard sees it, on real journals: the summary, the table, the curves and a
candidate's page agree with the search's own state and files; a live journal's new events are
applied as they come, read once; damaged and replaced journals are reported, not fatal."""

from __future__ import annotations

import os
import shutil
import threading
import time

from anet.cli.lock import LOCK
from anet.dashboard import payloads
from anet.dashboard.run_view import LOCK_FILE, RunView
from anet.dashboard.tail import JournalTail
from anet.evolution import EvolutionConfig, Search
from anet.evolution.events import Created, Evaluated, Start, event_data, event_line
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate
from anet.evolution.journal import JOURNAL, read
from anet.evolution.objectives import front
from anet.evolution.report import curve
from anet.evolution.state import SearchState
from anet.evolution.store import candidate_path


def test_the_summary_of_a_finished_run_is_the_searchs_own(finished_run):
    state = SearchState.load(finished_run / JOURNAL)
    summary = RunView("run", finished_run).summary()
    assert summary["name"] == "run" and summary["path"] == str(finished_run)
    assert (summary["strategy"], summary["objective"], summary["population"]) == ("guided", "paper", 4)
    assert summary["rounds"] == {"done": 6, "total": 6}
    assert summary["candidates"] == {"total": 10, "trained": 10, "failed": 0, "pending": 0, "rejected": 0}
    assert (summary["workers"], summary["busy"]) == (1, 0)
    best = state.best()
    assert summary["best"] == {"id": best.id, "fitness": best.fitness}
    assert summary["finished"] is True and summary["eta_s"] == 0.0
    assert summary["settings"] == state.settings.model_dump(mode="json")
    assert summary["damaged"] == [] and summary["offset"] == (finished_run / JOURNAL).stat().st_size


def test_rows_curves_and_a_candidates_page_agree_with_the_run(finished_run):
    state = SearchState.load(finished_run / JOURNAL)
    view = RunView("run", finished_run)
    table = view.candidates()
    assert [row["id"] for row in table["candidates"]] == list(state.candidates)
    child = next(c for c in state.candidates.values() if c.parent)
    row = next(r for r in table["candidates"] if r["id"] == child.id)
    assert row == {
        "id": child.id,
        "round": child.round,
        "parent": child.parent,
        "status": "evaluated",
        "fitness": child.fitness,
        "params": child.cost.params,
        "flops": child.cost.flops,
        "latency_ms": child.cost.latency_ms,
        "mutations": [payloads.mutation_text(m) for m in child.mutations],
        "reason": None,
        "seconds": child.seconds,
    }
    assert row["mutations"][0].startswith("guided_edges(")
    lines = view.curve()
    assert [p["id"] for p in lines["points"]] == list(state.candidates)
    assert lines["best"] == [[r, b] for r, _, b in curve(state)]
    assert lines["topk"] == [[r, m] for r, m, _ in curve(state)]
    assert lines["front"] == [c.id for c in front(state)] and lines["front"]
    assert lines["cost_axis"] == "latency_ms"
    page = view.detail(child.id)
    assert page["text"] == candidate_path(finished_run, child.id).read_text()  # with its learned weights
    assert "@0." in page["text"] and page["weights"] == child.weights
    assert page["parent_diff"].startswith(f"--- {child.parent}.anet\n+++ {child.id}.anet\n")
    assert page["metrics"] == child.metrics and page["curve"] is None
    assert view.detail("c00000")["parent_diff"] is None
    assert view.detail("c99999") is None and view.detail("../journal") is None


def test_a_failed_candidate_shows_with_its_reason(failing_run):
    rows = {r["id"]: r for r in RunView("run", failing_run).candidates()["candidates"]}
    assert rows["c00002"]["status"] == "failed" and rows["c00002"]["fitness"] is None
    assert rows["c00002"]["reason"] == "RuntimeError: made to fail" and rows["c00002"]["seconds"] == 0.25
    assert RunView("run", failing_run).summary()["candidates"]["failed"] == 1


def live_journal(finished_run, run, *, workers: int) -> list[bytes]:
    """The first events of a search with `workers` workers, by hand: two candidates created, one
    trained in 4 s. Texts are real ones (the finished run's)."""
    texts = [c.text for c in SearchState.load(finished_run / JOURNAL).candidates.values()]
    config = EvolutionConfig(fitness="synthetic", population=2, rounds=2, workers=workers)
    events = [
        Start(config=config.model_dump(mode="json")),
        Created(id="c00000", round=0, parent=None, hash="0" * 16, text=texts[0], mutations=()),
        Created(id="c00001", round=0, parent=None, hash="1" * 16, text=texts[1], mutations=()),
        Evaluated(id="c00000", fitness=0.5, metrics={"loss": float("nan")}, weights={}, seconds=4.0),
    ]
    run.mkdir()
    (run / JOURNAL).write_bytes(b"".join(map(event_line, events)))
    return events


def test_a_live_run_shows_its_progress_its_times_and_what_is_left(finished_run, tmp_path):
    run = tmp_path / "live"
    live_journal(finished_run, run, workers=2)
    started = 1_700_000_000.0
    (run / LOCK_FILE).write_text("4242\n")  # anet evolve's pid, written when it started
    os.utime(run / LOCK_FILE, (started, started))
    view = RunView("live", run, clock=lambda: started + 100.0)
    summary = view.summary()
    assert summary["finished"] is False and summary["rounds"] == {"done": 0, "total": 2}
    assert summary["candidates"] == {"total": 2, "trained": 1, "failed": 0, "pending": 1, "rejected": 0}
    assert (summary["workers"], summary["busy"]) == (2, 1)
    assert summary["elapsed_s"] == 100.0
    # 3 trainings left (4 candidates in all, 1 done) of 4 s each, on 2 workers
    assert summary["eta_s"] == 3 * 4.0 / 2
    assert LOCK_FILE == LOCK  # the lock the cli takes is the file whose time is read


def test_a_run_without_a_lock_file_started_when_its_first_file_was_written(finished_run, tmp_path):
    run = shutil.copytree(finished_run, tmp_path / "run")
    for number, path in enumerate(sorted(p for p in run.rglob("*") if p.is_file())):
        os.utime(path, (1000.0 + number, 1000.0 + number))
    (run / JOURNAL).touch()
    view = RunView("run", run)
    assert view.started() == 1000.0
    assert view.summary()["elapsed_s"] == (run / JOURNAL).stat().st_mtime - 1000.0  # finished: to the last event


def test_events_are_applied_as_they_are_appended_and_sent_after_an_offset(growing, journal_lines):
    view = RunView("live", growing.run)
    assert view.summary()["strategy"] is None and view.events_since(0)["events"] == []
    growing.append(b"".join(journal_lines[:5]))
    view.refresh()
    first = view.events_since(0)
    assert [e["line"] for e in first["events"]] == [1, 2, 3, 4, 5] and first["reset"] is False
    assert first["events"][0]["event"] == "start" and first["offset"] == growing.path.stat().st_size
    assert view.events_since(first["offset"])["events"] == []
    growing.append(b"".join(journal_lines[5:8]) + journal_lines[8][:10])  # and half of line 9
    view.refresh()
    later = view.events_since(first["offset"])
    assert [e["line"] for e in later["events"]] == [6, 7, 8]
    assert [{k: v for k, v in e.items() if k != "line"} for e in later["events"]] == [
        event_data(e) for e in list(read(growing.path))[5:8]
    ]
    assert view.summary()["candidates"]["total"] == len(SearchState.replay(list(read(growing.path))).candidates)
    # an offset this journal never gave (inside a line, or past its end) starts the page over
    for stale in (first["offset"] - 1, later["offset"] + 1):
        again = view.events_since(stale)
        assert again["reset"] is True and len(again["events"]) == 8


def test_an_event_that_does_not_follow_is_damaged_and_the_rest_still_applies(growing, journal_lines):
    orphan = Evaluated(id="c77777", fitness=1.0, metrics={}, weights={})
    growing.append(b"".join(journal_lines[:3]) + event_line(orphan) + b"{torn\n" + b"".join(journal_lines[3:]))
    view = RunView("run", growing.run)
    damaged = view.summary()["damaged"]
    assert [d["line"] for d in damaged] == [4, 5]
    assert "does not follow the ones before" in damaged[0]["problem"] and "c77777" in damaged[0]["problem"]
    assert damaged[1]["problem"].startswith("not a JSON event")
    assert view.summary()["finished"] is True and view.summary()["candidates"]["trained"] == 10
    assert [e["line"] for e in view.events_since(0)["events"]][:4] == [1, 2, 3, 6]
    assert view.events_since(0)["damaged"] == damaged


def test_a_replaced_journal_is_replayed_from_the_start(run_copy, journal_lines):
    view = RunView("run", run_copy)
    old = view.events_since(0)["offset"]
    (run_copy / JOURNAL).write_bytes(b"".join(journal_lines[:6]))  # cut, as a repair does
    view.refresh()
    summary = view.summary()
    assert summary["offset"] < old and view.generation == 1
    assert summary["candidates"]["total"] == len(SearchState.replay(list(read(run_copy / JOURNAL))).candidates)
    assert view.events_since(old)["reset"] is True


def test_an_unchanged_journal_is_not_read_again_and_a_grown_one_only_from_its_end(growing, journal_lines, monkeypatch):
    offsets = []
    original = JournalTail.read_from

    def spy(self, offset):
        offsets.append(offset)
        return original(self, offset)

    monkeypatch.setattr(JournalTail, "read_from", spy)
    growing.append(b"".join(journal_lines[:4]))
    view = RunView("live", growing.run)
    for _ in range(3):
        view.refresh()
    assert offsets == [0]
    summaries = []
    monkeypatch.setattr(payloads, "summary", lambda state, made=payloads.summary: summaries.append(1) or made(state))
    view.summary(), view.summary()
    assert len(summaries) == 1  # kept until the journal changes
    growing.append(journal_lines[4])
    view.refresh()
    view.summary()
    assert offsets == [0, len(b"".join(journal_lines[:4]))]
    assert len(summaries) == 2


def slow_synthetic(task: FitnessTask) -> FitnessResult:
    time.sleep(0.02)  # long enough for the view to catch the search between events
    return evaluate(task)


def test_a_view_follows_a_search_running_beside_it_to_the_end(tmp_path):
    run = tmp_path / "run"
    config = EvolutionConfig(fitness="synthetic", population=4, rounds=8, seed=7)
    search = threading.Thread(target=lambda: Search(run, config, evaluate_fn=slow_synthetic).run())
    search.start()
    while not (run / JOURNAL).exists():
        time.sleep(0.005)
    view = RunView("run", run)
    seen, offset, totals = [], 0, []
    while search.is_alive() or offset < (run / JOURNAL).stat().st_size:
        view.refresh()
        new = view.events_since(offset)
        assert new["reset"] is False and new["damaged"] == []
        seen += new["events"]
        offset = new["offset"]
        totals.append(view.summary()["candidates"]["total"])
        time.sleep(0.01)
    search.join()
    assert [e["line"] for e in seen] == list(range(1, len(seen) + 1))
    assert [{k: v for k, v in e.items() if k != "line"} for e in seen] == [event_data(e) for e in read(run / JOURNAL)]
    assert len(set(totals)) > 2  # it saw the search on its way, not only its end
    assert view.summary()["finished"] is True and view.summary()["candidates"]["trained"] == 12
