"""The search's durable record: an append-only JSON-lines journal, fsync'd after every event.

The journal is the source of truth: every event is written (and flushed to disk) before the files
it describes, and holds what is needed to rewrite them (a candidate's full .anet text, its fitness
and learned weights). A crash can at worst leave a torn last line, which `read` ignores and
`Journal.open` cuts off before appending, so resuming never duplicates or loses a finished event.
A line that is damaged before the end (a disk or an editor, never anet) is an error that says
where, since the events after it cannot be trusted to follow from the ones before.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from .events import Event, as_event, event_line

JOURNAL = "journal.jsonl"


class JournalError(ValueError):
    """A damaged journal: which file, which line, what is wrong, and what the user can do."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line = path, line
        super().__init__(
            f"{path} line {line}: {problem}. The journal is damaged there; the {line - 1} events before "
            f"it are intact. To continue from them, keep a copy and cut the journal before line {line} "
            f"(anet evolve --resume {path.parent} --repair does both); the search then redoes what came "
            "after, with the same results"
        )


def read(path: Path) -> Iterator[Event]:
    """Every complete event, in order; a torn last line (crash mid-write) is skipped, a damaged
    complete line raises JournalError."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return
            yield parse_line(path, number, raw)


def parse_line(path: Path, number: int, raw: bytes) -> Event:
    try:
        data = json.loads(raw)
    except ValueError as exc:  # also undecodable bytes (UnicodeDecodeError), NUL bytes
        shown = raw[:40].decode("utf-8", "backslashreplace").rstrip("\n")
        raise JournalError(path, number, f"not a JSON event ({exc}): {shown!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise JournalError(path, number, "not a journal event (a JSON object with an 'event' name)")
    try:
        return as_event(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors())
        raise JournalError(path, number, f"an event that does not follow the ones before ({problems})") from None


def repair(path: Path, line: int) -> Path:
    """Keep the damaged journal aside (returned) and cut the journal before `line`."""
    kept = path.with_name(f"{path.name}.damaged")
    index = 1
    while kept.exists():
        index += 1
        kept = path.with_name(f"{path.name}.damaged-{index}")
    data = path.read_bytes()
    path.replace(kept)
    cut = 0
    for _ in range(line - 1):
        cut = data.index(b"\n", cut) + 1
    with path.open("wb") as handle:
        handle.write(data[:cut])
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(path.parent)
    return kept


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> Journal:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            data = self.path.read_bytes()
            complete = data[: data.rfind(b"\n") + 1]
            if len(complete) != len(data):  # drop a torn tail so the next event starts on its own line
                with self.path.open("r+b") as handle:
                    handle.truncate(len(complete))
                    os.fsync(handle.fileno())
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        _fsync_dir(self.path.parent)

    def append(self, event: Event) -> None:
        """Write the line and fsync it. If that fails (a full disk), the part of the line that
        made it is cut off again, and the journal refuses further events: the caller must stop,
        and a resume (once the cause is fixed) continues from the last complete event."""
        assert self._fd is not None, "journal is not open"
        line = event_line(event)
        size = os.fstat(self._fd).st_size
        try:
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # else the torn tail is cut off by the next `open`
                os.ftruncate(self._fd, size)
            self.close()
            raise OSError(exc.errno or errno.EIO, exc.strerror or str(exc), str(self.path)) from exc

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _fsync_dir(directory: Path) -> None:
    """Make a newly created file's directory entry durable too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
