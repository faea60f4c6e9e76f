"""The search's durable record: an append-only JSON-lines journal, fsync'd after every event.

The journal is the source of truth: every event is written (and flushed to disk) before the files
it describes, and holds what is needed to rewrite them (a candidate's full .anet text, its fitness
and learned weights). A crash can at worst leave a torn last line, which `read` ignores and
`Journal.open` cuts off before appending, so resuming never duplicates or loses a finished event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JOURNAL = "journal.jsonl"


def read(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete event, in order; a torn last line (crash mid-write) is skipped."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                return
            yield json.loads(raw)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = None

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
        self._handle = self.path.open("ab")
        _fsync_dir(self.path.parent)

    def append(self, event: dict[str, Any]) -> None:
        assert self._handle is not None, "journal is not open"
        self._handle.write(json.dumps(event, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _fsync_dir(directory: Path) -> None:
    """Make a newly created file's directory entry durable too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
