"""Writing files so that a crash never leaves half of one: a temporary file in the same folder,
flushed and fsync'd, then renamed over the target (atomic on POSIX)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True, mode: int = 0o644) -> None:
    """`durable=False` skips the fsync: still never half a file, but a power loss may lose the
    write; for files that are views of a journal that was fsync'd first. `mode` is the new file's
    permissions (`anet fmt` passes the rewritten file's own)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
