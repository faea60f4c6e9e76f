"""Writing files so that a crash never leaves half of one: a temporary file in the same folder,
written (and fsync'd, unless the caller says it need not be), then renamed over the target
(atomic on POSIX). Every file anet writes whole goes through `write_atomic`: .anet files,
generated modules, checkpoints, a search's candidate files, figures.

The new file gets the permissions an ordinary write would give it: the old file's where it
replaces one (so `anet fmt` keeps a file's mode), else 0666 less the umask. The temporary file is
private (0600) while it is incomplete.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, data: str | bytes, *, durable: bool = True) -> None:
    """`durable=False` skips the fsync: still never half a file, but a power loss may lose the
    write; for files that are views of a journal that was fsync'd first."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
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


CACHE_ENV = "ANET_CACHE_DIR"


def user_cache_dir() -> Path:
    """Where anet keeps what it can always make again (grammar tables, precision measurements):
    ``$ANET_CACHE_DIR``, else ``$XDG_CACHE_HOME/anet``, else ``~/.cache/anet``. Not created here:
    a caller that cannot make it goes on without a cache."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "anet"


def current_umask() -> int:
    """The process's umask, read without changing it where Linux says it (setting it to read it,
    the portable way, briefly changes it for every thread)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    found = re.search(r"^Umask:\s*([0-7]+)$", status, re.MULTILINE)
    if found:
        return int(found.group(1), 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
