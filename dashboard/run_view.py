"""One run directory as the dashboard sees it: its SearchState, kept up to date by applying the
journal's new events as they are appended (the journal is the run's source of truth; the candidate
files are its views), every event seen so far for the page's incremental updates, and the lines that
could not be read.

A request first calls `refresh`: one `stat` of the journal, and a read of what was appended only when
the file changed. Nothing polls in the background, so an idle server does no work. What the API sends
is computed once per journal offset and kept until the journal changes.

Times: the journal records how long each training took but not when anything happened, so the run's
start is taken from the file system: the modification time of RUN/anet.lock, which `anet evolve`
writes its pid into when it starts or resumes (elapsed time is then since the last start), else, for a
run made through the Python API, the earliest modification time among the run's files when the view
first read it (a candidate file is rewritten once trained, so this can be later than the real start).
A finished run's elapsed time ends at the journal's last modification.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..evolution.events import event_data
from ..evolution.journal import JOURNAL
from ..evolution.state import Candidate, SearchState
from ..evolution.store import CANDIDATES
from . import payloads
from .tail import Chunk, DamagedLine, JournalTail

LOCK_FILE = "anet.lock"
"""The run's lock file (`cli.lock.LOCK`, a layer above): only its modification time is read."""

Json = dict[str, Any]
T = TypeVar("T")


class RunView:
    """A run directory's journal, followed (see the module's docstring). Thread-safe: the server
    answers requests from a thread pool."""

    def __init__(self, name: str, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.path = path
        self.journal = path / JOURNAL
        self._clock = clock
        self._lock = threading.RLock()
        self._tail = JournalTail(self.journal)
        self._stamp: tuple[int, int, int] | None = None
        self.generation = 0  # one more at each reset: an offset names a point of one journal only
        self._clear()
        self.refresh()

    def _clear(self) -> None:
        self.state = SearchState()
        self.offset = 0
        self.damaged: list[DamagedLine] = []
        self._events: list[Json] = []  # {"line": n, ...the event's JSON...}, in journal order
        self._ends: list[int] = []  # the byte offset after each event's line
        self._boundaries: set[int] = {0}  # offsets a client may hold: the end of any line read
        self._derived: dict[str, Any] = {}  # what the API sent for this offset
        self._started: float | None = None

    # -- following the journal --------------------------------------------------------------------

    def refresh(self) -> None:
        """Apply what was appended to the journal since the last call (everything, after a reset)."""
        with self._lock:
            stamp = self._stat()
            if stamp is not None and stamp == self._stamp:
                return
            chunk = self._tail.read_from(self.offset)
            if chunk.reset:
                self._clear()
                self.generation += 1
            self._apply(chunk)
            self._stamp = stamp

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.journal.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def _apply(self, chunk: Chunk) -> None:
        read: list[tuple[int, Any]] = [(e.line, e) for e in chunk.events] + [(d.line, d) for d in chunk.damaged]
        for _, item in sorted(read, key=lambda pair: pair[0]):
            self._boundaries.add(item.end)
            if isinstance(item, DamagedLine):
                self.damaged.append(item)
                continue
            try:
                self.state.apply(item.event)
            except (KeyError, ValueError, TypeError) as exc:  # as SearchState.load reports it
                problem = f"an event that does not follow the ones before ({exc!r})"
                self.damaged.append(DamagedLine(item.line, problem, item.end))
                continue
            self._events.append({"line": item.line} | event_data(item.event))
            self._ends.append(item.end)
        if chunk.offset != self.offset or chunk.reset:
            self._derived.clear()
        self.offset = chunk.offset

    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]

    # -- what the API sends -----------------------------------------------------------------------

    def summary(self) -> Json:
        with self._lock:
            fields = self._cached("summary", lambda: payloads.summary(self.state))
            return (
                {"name": self.name, "path": str(self.path)}
                | fields
                | {
                    "elapsed_s": self.elapsed_s(fields["finished"]),
                    "damaged": self.damaged_json(),
                    "offset": self.offset,
                }
            )

    def candidates(self) -> Json:
        with self._lock:
            return {"candidates": self._cached("rows", lambda: payloads.rows(self.state)), "offset": self.offset}

    def curve(self) -> Json:
        with self._lock:
            return self._cached("curve", lambda: payloads.curves(self.state))

    def read(self, query: Callable[[SearchState], T]) -> tuple[tuple[int, int], T]:
        """`query` of the state as of one point of the journal, and that point (generation, offset)."""
        with self._lock:
            return (self.generation, self.offset), query(self.state)

    def candidate(self, candidate_id: str) -> Candidate | None:
        """Looked up in the state: an id from a URL is never made into a path."""
        with self._lock:
            return self.state.candidates.get(candidate_id)

    def detail(self, candidate_id: str) -> Json | None:
        with self._lock:
            c = self.state.candidates.get(candidate_id)
            return None if c is None else payloads.detail(self.state, c)

    def events_since(self, since: int) -> Json:
        """The events after offset `since`, an offset an earlier answer gave. One the journal does not
        have (beyond its end, or inside a line: the journal was replaced since) gets every event, with
        reset true, so the page starts over."""
        with self._lock:
            reset = since > self.offset or since not in self._boundaries
            first = 0 if reset else bisect.bisect_right(self._ends, since)
            return {
                "offset": self.offset,
                "reset": reset,
                "events": self._events[first:],
                "damaged": self.damaged_json(0 if reset else since),
            }

    def damaged_json(self, after: int = 0) -> list[Json]:
        return [{"line": d.line, "problem": d.problem} for d in self.damaged if d.end > after]

    # -- times ------------------------------------------------------------------------------------

    def elapsed_s(self, finished: bool) -> float | None:
        """Seconds from the run's start to now, or to its last journal write once finished (see the
        module's docstring for where the start comes from)."""
        started = self.started()
        if started is None:
            return None
        try:
            end = self.journal.stat().st_mtime if finished else self._clock()
        except FileNotFoundError:
            return None
        return max(0.0, end - started)

    def started(self) -> float | None:
        try:
            return (self.path / LOCK_FILE).stat().st_mtime
        except FileNotFoundError:
            pass
        if self._started is None:
            self._started = _earliest_mtime(self.path)
        return self._started


def _earliest_mtime(run: Path) -> float | None:
    times = []
    for folder in (run, run / CANDIDATES):
        try:
            with os.scandir(folder) as entries:
                times += [entry.stat().st_mtime for entry in entries if entry.is_file()]
        except FileNotFoundError:
            continue
    return min(times, default=None)
