"""Reading a journal while the search appends to it: each read starts where the last one ended.

A live run's journal grows by whole lines, but a reader can catch a line half-written (the writer's
`os.write` is not atomic for a reader), so only complete lines (ending in a newline) are consumed and a
torn tail is read again next time. Unlike `evolution.journal.read`, a damaged complete line does not
stop the reading: a dashboard shows it and goes on, since the user needs to see the rest to decide
what to do (`anet evolve --resume RUN --repair`). A journal that was repaired or replaced (shorter
than where the last read ended, another file, or no line break where the last line ended) is read
again from the start, and the chunk says so.

Read-only: the file is opened for reading only and the run's lock (`anet.lock`) is never taken, so a
dashboard can watch a search that holds it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..evolution.events import Event
from ..evolution.journal import JournalError, parse_line


@dataclass(frozen=True)
class NumberedEvent:
    """An event and where it is: its line number (from 1) and the byte offset just after its line."""

    line: int
    end: int
    event: Event


@dataclass(frozen=True)
class DamagedLine:
    """A complete line that is not an event, with the journal's own account of what is wrong."""

    line: int
    problem: str
    end: int = 0


@dataclass(frozen=True)
class Chunk:
    """What one read found: the events and damaged lines of the complete lines after the offset it was
    asked for (or, when `reset`, of the whole file), and the offset to read from next."""

    offset: int
    events: list[NumberedEvent] = field(default_factory=list)
    damaged: list[DamagedLine] = field(default_factory=list)
    reset: bool = False


@dataclass(frozen=True)
class _Seen:
    """Which file the last read saw, to tell a grown journal from a replaced one."""

    inode: int
    offset: int
    lines: int  # complete lines before `offset`


class JournalTail:
    """Incremental reading of one journal file (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: _Seen | None = None

    def read_from(self, offset: int) -> Chunk:
        """The complete lines after byte `offset` (a line boundary an earlier read returned, or 0)."""
        try:
            with self.path.open("rb") as handle:
                inode = os.fstat(handle.fileno()).st_ino
                reset = offset > 0 and not self._continues(handle, inode, offset)
                start = 0 if reset else offset
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:  # moved away (a repair in progress): nothing to read yet
            self._seen = None
            return Chunk(offset=0, reset=offset > 0)
        lines = 0 if reset else self._lines_before(offset)
        chunk = self._parse(data, start, lines, reset)
        self._seen = _Seen(inode, chunk.offset, lines + len(chunk.events) + len(chunk.damaged))
        return chunk

    def _continues(self, handle: BinaryIO, inode: int, offset: int) -> bool:
        """Whether `offset` still ends a line of the same file: else the journal was replaced."""
        if self._seen is not None and self._seen.inode != inode:
            return False
        handle.seek(offset - 1)
        return handle.read(1) == b"\n"

    def _lines_before(self, offset: int) -> int:
        """Line numbers continue from the last read; any other offset is counted once from the file."""
        if offset == 0:
            return 0
        if self._seen is not None and self._seen.offset == offset:
            return self._seen.lines
        with self.path.open("rb") as handle:
            return handle.read(offset).count(b"\n")

    def _parse(self, data: bytes, start: int, lines: int, reset: bool) -> Chunk:
        events: list[NumberedEvent] = []
        damaged: list[DamagedLine] = []
        position = start
        cut = 0
        while (newline := data.find(b"\n", cut)) >= 0:  # a torn tail is read again once it is finished
            raw, cut = data[cut : newline + 1], newline + 1
            lines += 1
            position += len(raw)
            try:
                events.append(NumberedEvent(lines, position, parse_line(self.path, lines, raw)))
            except JournalError as exc:
                damaged.append(DamagedLine(lines, problem_of(exc), position))
        return Chunk(offset=position, events=events, damaged=damaged, reset=reset)


def problem_of(error: JournalError) -> str:
    """The journal error's message without its `PATH line N: ` prefix (the line is shown apart)."""
    return str(error).removeprefix(f"{error.path} line {error.line}: ")
