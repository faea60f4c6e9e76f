"""The run-directory lock of `anet evolve` and `anet train --out`: exclusive, released whatever
ends the holder, and a refusal that names the directory and the holder."""

from __future__ import annotations

import fcntl
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import anet.cli.lock as lock_module
from anet.cli.app import CommandFailed
from anet.cli.lock import LOCK, run_lock
from anet.cli.main import anet

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "two_stream_fusion_lv4.anet")
HOLD = """
import sys, time
from pathlib import Path
from anet.cli.lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_the_lock_is_exclusive_and_names_the_holder(tmp_path):
    run = tmp_path / "new" / "run"
    with run_lock(run) as path:
        assert path == run / LOCK and path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(CommandFailed) as refused, run_lock(run):
            pass
        assert refused.value.message == (
            f"{run} is in use by another anet process (pid {os.getpid()}); wait for it to end, or stop it"
        )
    with run_lock(run):  # released at the end of the body
        pass
    assert (run / LOCK).exists()  # never deleted (see cli/lock.py)


def test_a_killed_holder_releases_the_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(CommandFailed, match=f"pid {holder.pid}"), run_lock(tmp_path):
            pass
        holder.kill()  # SIGKILL: no chance to clean up
        holder.wait()
        with run_lock(tmp_path):
            assert (tmp_path / LOCK).read_text() == f"{os.getpid()}\n"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_train_refuses_a_directory_in_use(tmp_path):
    out = tmp_path / "out"
    args = ["train", EXAMPLE, "--data", "proxy:train=8,val=8", "--out", str(out), "--iterations", "1"]
    with run_lock(out):
        result = CliRunner().invoke(anet, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.strip() == f"Error: {out} is in use by another anet process (pid {os.getpid()}); " + (
        "wait for it to end, or stop it"
    )
    assert sorted(p.name for p in out.iterdir()) == [LOCK]  # nothing else written


def test_a_refusal_never_names_the_previous_holder(tmp_path, monkeypatch):
    """The holder writes its pid just after it locks: until then the file may hold the pid of a
    process that is gone. The refusal waits a moment for the holder's, then says "unknown" (a tenth
    of the 2 s it waits in use: this holder never writes)."""
    monkeypatch.setattr(lock_module, "_holder", functools.partial(lock_module._holder, patience=0.2))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK).write_text(gone.stdout)
    fd = os.open(run / LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # locked, the pid not written yet
        with pytest.raises(CommandFailed, match=r"\(pid unknown\)"), run_lock(run):
            pass
    finally:
        os.close(fd)


def test_a_process_refused_before_the_holder_wrote_its_pid_names_the_holder(tmp_path):
    """The holder locks, then writes its pid: one refused in between (two `--resume` started at once
    on a busy machine) read an empty file, or the last holder's pid, and said so."""
    import fcntl
    import threading

    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK).write_text("999999999\n")  # a previous holder, long gone
    fd = os.open(run / LOCK, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the new holder: locked, its pid not written yet
    pid = f"{os.getpid()}\n".encode()
    writer = threading.Timer(0.2, lambda: (os.pwrite(fd, pid, 0), os.ftruncate(fd, len(pid))))
    writer.start()
    try:
        message = rf"in use by another anet process \(pid {os.getpid()}\)"
        with pytest.raises(CommandFailed, match=message), run_lock(run):
            pass
    finally:
        writer.join()
        os.close(fd)
