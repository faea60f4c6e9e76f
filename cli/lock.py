"""One process per run directory: `anet evolve` and `anet train --out` hold an exclusive lock on
DIR/anet.lock for their whole life. Two processes appending to one journal, or writing one
checkpoint, would interleave their work; the second is refused instead, naming the holder.

The lock is `flock(2)` on the open file, so the kernel releases it whatever ends the process
(exit, crash, kill -9): a stale lock file is harmless, and is never deleted (deleting it would let
two processes lock two different files of the same name). The file holds the holder's pid, for
the message. Local file systems only: flock over NFS is not reliable everywhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .app import CommandFailed

LOCK = "anet.lock"


@contextlib.contextmanager
def run_lock(directory: Path) -> Iterator[Path]:
    """Hold DIR's lock for the body (creating DIR); refuse with exit 1 if another process has it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (PEP 446)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandFailed(
                f"{directory} is in use by another anet process (pid {_holder(fd)}); wait for it to end, or stop it"
            ) from None
        with contextlib.suppress(OSError):  # the pid is for messages only: a full disk may refuse it
            pid = f"{os.getpid()}\n".encode()
            os.pwrite(fd, pid, 0)  # then cut what a longer pid left: the file is never empty meanwhile
            os.ftruncate(fd, len(pid))
        yield path
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int, *, patience: float = 2.0) -> str:
    """The pid the lock's holder wrote. It writes it just after locking, so the file may still
    be empty or hold the previous holder's pid (a process that is gone): wait a moment for a live
    one, then say "unknown" rather than name the wrong process."""
    deadline = time.monotonic() + patience
    while True:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit() and _alive(int(text)):
            return text
        if time.monotonic() > deadline:
            return "unknown"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
