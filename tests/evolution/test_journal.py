"""The journal: torn tails, replay, and a resume from any point of it (a crash between any two
events is a journal cut at that point; the files are views that resume rewrites)."""

from __future__ import annotations

import json
import random
import shutil

import pytest
from evo_helpers import assert_consistent, comparable, events, files, run_search, synthetic, without_timings

import anet.evolution.search as search_module
from anet.evolution.events import Failed, Population, Start, event_data
from anet.evolution.journal import JOURNAL, Journal, JournalError, read
from anet.evolution.state import SearchState
from anet.evolution.workers import InProcess

EVENTS = [
    Start(config={"a": 1}),
    Population(round=0, members=["c00001"]),
    Failed(id="c00002", reason="why", seconds=2.0),
]
LATER = Population(round=1, members=["c00001", "c00003"])


def write_lines(path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def encoded(event) -> bytes:
    return json.dumps(event_data(event), sort_keys=True, separators=(",", ":")).encode() + b"\n"


@pytest.mark.parametrize(
    "tail", [b"", b"{", b'{"event": "failed", "id"', b'{"event":"failed","id":"c00003","reason":"x"}']
)
def test_a_torn_last_line_is_ignored_by_read_and_cut_off_by_open(tmp_path, tail):
    path = tmp_path / JOURNAL
    write_lines(path, [encoded(e) for e in EVENTS] + [tail])
    assert list(read(path)) == EVENTS  # a complete JSON object without its newline is torn too
    with Journal(path) as journal:
        assert path.read_bytes() == b"".join(encoded(e) for e in EVENTS)
        journal.append(LATER)
    assert list(read(path)) == [*EVENTS, LATER]
    assert path.read_bytes().endswith(b"\n")


def test_read_of_a_missing_journal_is_empty_and_open_creates_it(tmp_path):
    path = tmp_path / "run" / JOURNAL
    assert list(read(path)) == []
    with Journal(path) as journal:
        journal.append(EVENTS[0])
    assert list(read(path)) == EVENTS[:1]


def test_append_needs_an_open_journal(tmp_path):
    with pytest.raises(AssertionError):
        Journal(tmp_path / JOURNAL).append(EVENTS[0])


def test_replay_reproduces_the_state(tmp_path):
    run = tmp_path / "run"
    state = run_search(run, synthetic(population=5, rounds=8))
    assert comparable(SearchState.replay(read(run / JOURNAL))) == comparable(state)
    # and a torn tail (a crash mid-append) changes nothing
    with (run / JOURNAL).open("ab") as handle:
        handle.write(b'{"event":"created","id":"c99999"')
    assert comparable(SearchState.replay(read(run / JOURNAL))) == comparable(state)
    # an unknown kind of event is an error naming the line
    bogus = tmp_path / "bogus.jsonl"
    write_lines(bogus, [encoded(EVENTS[0]), b'{"event":"bogus"}\n'])
    with pytest.raises(JournalError, match=r"line 2: an event that does not follow.*'bogus'"):
        list(read(bogus))


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_from_any_point_of_the_journal(tmp_path, monkeypatch, workers):
    """Cut the journal of a finished run after a random event (with or without a torn line), keep
    the files it had by then (views of a later point of the journal) plus damaged and temporary
    ones, resume: the same search results,
    the same files byte for byte, the same events. Workers run in this process here (the result
    does not depend on the back end; the crash tests cover real processes)."""
    monkeypatch.setattr(search_module, "make_workers", lambda *a, **k: InProcess(k["evaluate_fn"]))
    config = synthetic(population=6, rounds=14, workers=workers, seed=11)
    reference_run = tmp_path / "reference"
    reference = run_search(reference_run, config)
    reference_events = sorted(without_timings(e) for e in events(reference_run))
    reference_files = files(reference_run)
    lines = (reference_run / JOURNAL).read_bytes().splitlines(keepends=True)
    rng = random.Random(workers)
    cuts = set(rng.sample(range(1, len(lines)), 8))
    cuts |= {i + 1 for i, line in enumerate(lines) if b'"population"' in line[:40]}  # batch edges...
    cuts = sorted(rng.sample(sorted(cuts), 14))  # ... some of them
    for cut in cuts:
        run = tmp_path / f"cut{cut}"
        shutil.copytree(reference_run, run)
        torn = lines[cut][: rng.randrange(1, len(lines[cut]))] if cut < len(lines) and rng.random() < 0.5 else b""
        write_lines(run / JOURNAL, [*lines[:cut], torn])
        kept = {f"{e['id']}.anet" for e in events(run) if e["event"] == "created"}
        for path in (run / "candidates").iterdir():
            if path.name not in kept:
                path.unlink()  # not created yet at the cut
            elif rng.random() < 0.2:  # what a power loss can leave of a view (they are not fsync'd)
                path.write_bytes(rng.choice([b"", b"\0" * 64]))
        (run / "candidates" / ".c00003.anet.x1y2z3.tmp").write_text("half a fi")
        state = run_search(run, config)
        assert comparable(state) == comparable(reference), cut
        assert files(run) == reference_files, cut
        assert sorted(without_timings(e) for e in events(run)) == reference_events, cut
    assert_consistent(reference_run, reference, compile_files=False)
