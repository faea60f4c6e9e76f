"""Fault injection: what a search survives, and what it says when it cannot go on.

A crash is injected deterministically at a chosen journal write (in this process: the files on
disk are what a kill at that point leaves, since every write is synchronous), or by really
killing `anet evolve` processes. After each, `anet evolve --resume` must reach the uninterrupted
run's files byte for byte. Random kill -9 points over whole runs are in test_crash.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner
from evo_helpers import events, files, without_timings

import anet.evolution.fitness as fitness_module
import anet.evolution.journal as journal_module
from anet import files as files_module
from anet.cli.lock import LOCK, run_lock
from anet.cli.main import anet
from anet.evolution.events import Event, event_line
from anet.evolution.journal import JOURNAL

EXAMPLES = Path(__file__).parents[2] / "examples"
SEEDS = [str(EXAMPLES / "two_stream_fusion_lv4.anet"), str(EXAMPLES / "one_stream_rgb.anet")]
SMALL = ["--fitness", "synthetic", "--population", "4", "--rounds", "3", "--random-seed", "3"]
INITIAL = 1 + 2 * 4 + 1  # journal events up to the initial population: start, created + evaluated, population
ENDLESS = ["--fitness", "synthetic", "--population", "4", "--rounds", "100000", "--workers", "2"]


class Killed(BaseException):
    """Stands for a kill: not an Exception, so nothing on the way catches it."""


def evolve(*args: str) -> object:
    return CliRunner().invoke(anet, ["evolve", *args])


def finished(run: Path, *args: str) -> dict[str, bytes | None]:
    result = evolve(*args)
    assert result.exit_code == 0, result.output
    return files(run)


def journal_events(run: Path) -> list[str]:
    return [without_timings(e) for e in events(run)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict[str, bytes | None], list[str]]:
    """The uninterrupted seeded run: its directory, files and events."""
    run = tmp_path_factory.mktemp("reference") / "run"
    done = finished(run, "--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1])
    return run, done, journal_events(run)


def crash_at(monkeypatch, count: int, *, torn: bool) -> None:
    """The `count`-th journal append kills the process: after the whole line, or after half of it."""
    real = journal_module.Journal.append
    calls = {"n": 0}

    def append(self, event: Event) -> None:
        calls["n"] += 1
        if calls["n"] == count and torn:
            line = event_line(event)
            with self.path.open("ab") as handle:
                handle.write(line[: len(line) // 2])
            raise Killed
        real(self, event)
        if calls["n"] == count:
            raise Killed

    monkeypatch.setattr(journal_module.Journal, "append", append)


@pytest.mark.slow  # a search killed and resumed at every journal write of its start
def test_a_seeded_run_killed_anywhere_in_its_initial_population_resumes_with_its_seeds(
    tmp_path, monkeypatch, reference
):
    """Issue 11: resumed before every seed was journaled, the run used to replace the missing
    seeds by random architectures. Every journal write of the start-up and initial population is
    a kill point, after the whole line and after half of it (a torn line)."""
    _, reference_files, reference_events = reference
    for count in range(1, INITIAL + 1):
        for torn in (False, True):
            run = tmp_path / f"killed-{count}-{torn}"
            with monkeypatch.context() as patch:
                crash_at(patch, count, torn=torn)
                with pytest.raises(Killed):
                    CliRunner().invoke(
                        anet,
                        ["evolve", "--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1]],
                        catch_exceptions=False,
                    )
            if count == 1 and torn:  # not even the start is journaled: a run to start again, not to resume
                refused = evolve("--resume", str(run))
                assert refused.exit_code == 1 and f"start it again with --out {run}" in refused.stderr
                assert finished(run, "--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1]) == (
                    reference_files
                )
            else:
                assert finished(run, "--resume", str(run)) == reference_files, (count, torn)
            assert journal_events(run) == reference_events, (count, torn)


def test_resume_refuses_other_seeds_than_the_run_started_with(tmp_path):
    from anet.evolution import EvolutionConfig, Search
    from anet.evolution.search import SearchError

    run = tmp_path / "run"
    config = EvolutionConfig(fitness="synthetic", population=3, rounds=1)
    seeds = [Path(s).read_text() for s in SEEDS]
    Search(run, config, seeds=seeds).run()
    with pytest.raises(SearchError, match="other seeds"):
        Search(run, config, seeds=seeds[::-1])
    assert Search(run, config, seeds=seeds).run().applied == 1  # the same seeds, or none: fine


# -- damaged journals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (b"this is not json\n", "not a JSON event"),
        (b"\0" * 300 + b"\n", "not a JSON event"),
        (b'{"event":"created"}\n', "an event that does not follow the ones before"),
        (b'{"event":"bogus","id":"c00001"}\n', "an event that does not follow the ones before"),
        (b"[1, 2]\n", "not a journal event"),
        (b"\xff\xfe\n", "not a JSON event"),
    ],
)
def test_a_damaged_line_inside_the_journal_is_located_and_repair_resumes(tmp_path, reference, damage, problem):
    """A damaged line before the end: exit 1 with the file, the line and what to do; never a
    traceback. --repair keeps the damaged journal aside, cuts it there, and the resumed search
    redoes the rest to the same result (the search is deterministic)."""
    reference_run, reference_files, reference_events = reference
    run = tmp_path / "run"
    run.mkdir()
    for name, content in reference_files.items():
        if content is not None:
            (run / name).parent.mkdir(parents=True, exist_ok=True)
            (run / name).write_bytes(content)
    lines = (reference_run / JOURNAL).read_bytes().splitlines(keepends=True)
    damaged = [*lines[:7], damage, *lines[8:]]
    (run / JOURNAL).write_bytes(b"".join(damaged))

    for command in (["evolve", "--resume", str(run)], ["runs", "show", str(run)]):
        result = CliRunner().invoke(anet, command)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)
        message = result.stderr
        assert f"{run / JOURNAL} line 8: {problem}" in message
        assert "the 7 events before it are intact" in message and "--repair" in message
        assert "internal error" not in message
    assert (run / JOURNAL).read_bytes() == b"".join(damaged)  # nothing written

    repaired = evolve("--resume", str(run), "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert f"repaired {run / JOURNAL}: cut before line 8" in repaired.stderr
    assert (run / f"{JOURNAL}.damaged").read_bytes() == b"".join(damaged)
    assert {k: v for k, v in files(run).items() if k != f"{JOURNAL}.damaged"} == reference_files
    assert journal_events(run) == reference_events


def test_a_torn_last_line_is_still_ignored_silently(tmp_path, reference):
    reference_run, reference_files, reference_events = reference
    run = tmp_path / "run"
    run.mkdir()
    lines = (reference_run / JOURNAL).read_bytes().splitlines(keepends=True)
    (run / JOURNAL).write_bytes(b"".join(lines[:12]) + lines[12][:20])
    result = evolve("--resume", str(run))
    assert result.exit_code == 0, result.output
    assert "line" not in result.stderr.replace("lineage", "")
    assert files(run) == reference_files
    assert journal_events(run) == reference_events


# -- a full disk ----------------------------------------------------------------------------------


def fail_journal_write(monkeypatch, count: int) -> None:
    """The `count`-th journal write gets half of its line onto the disk, then ENOSPC."""
    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        if Path(f"/proc/self/fd/{fd}").readlink().name == JOURNAL:
            calls["n"] += 1
            if calls["n"] == count:
                real(fd, data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(journal_module.os, "write", write)


def fail_file_write(monkeypatch, count: int) -> None:
    """The `count`-th atomic file write (a candidate file, best.anet) goes to /dev/full: a real
    ENOSPC from the kernel."""
    real = files_module.tempfile.mkstemp
    calls = {"n": 0}

    def mkstemp(*args, **kwargs):
        fd, path = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == count:
            os.close(fd)
            fd = os.open("/dev/full", os.O_WRONLY)
        return fd, path

    monkeypatch.setattr(files_module.tempfile, "mkstemp", mkstemp)


@pytest.mark.skipif(not Path("/dev/full").exists() or sys.platform != "linux", reason="needs /dev/full and /proc")
@pytest.mark.parametrize(
    ("where", "count"), [("journal", 2), ("journal", 6), ("journal", 14), ("file", 3), ("file", 9)]
)
def test_a_full_disk_stops_the_search_with_a_message_and_resume_continues_exactly(
    tmp_path, monkeypatch, reference, where, count
):
    _, reference_files, reference_events = reference
    run = tmp_path / "run"
    with monkeypatch.context() as patch:
        (fail_journal_write if where == "journal" else fail_file_write)(patch, count)
        result = evolve("--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "No space left on device" in result.stderr
    assert f"anet evolve --resume {run}" in result.stderr
    if where == "journal":
        assert str(run / JOURNAL) in result.stderr
        journal = (run / JOURNAL).read_bytes()
        assert journal.endswith(b"\n") and journal.count(b"\n") == count - 1  # the half line was taken back
    else:
        assert f"Error: {run / 'candidates'}/c0000" in result.stderr or f"Error: {run / 'best.anet'}:" in result.stderr
    assert not [p for p in run.rglob(".*") if p.is_file()]  # no temporary left behind
    assert finished(run, "--resume", str(run)) == reference_files
    assert journal_events(run) == reference_events


@pytest.fixture
def small_disk(tmp_path):
    """A real full disk: a tmpfs of 256 KiB, where this machine lets the tests mount one (root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True, capture_output=True
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount a tmpfs here (needs root); the injected ENOSPC tests cover the same paths")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)


@pytest.mark.parametrize("room", [1, 2, 5, 9, 13])
def test_a_really_full_disk_stops_the_search_and_resume_continues_once_there_is_room(small_disk, reference, room):
    """The disk is filled up to `room` pages: the search stops on ENOSPC wherever it happens to be
    writing, with a message; space freed, the resumed run is the uninterrupted one."""
    _, reference_files, reference_events = reference
    run = small_disk / "run"
    filler = small_disk / "filler"
    stats = os.statvfs(small_disk)
    filler.write_bytes(b"x" * (stats.f_bavail * stats.f_frsize - room * 4096))
    result = evolve("--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "No space left on device; the run is intact up to its last journaled event" in result.stderr
    filler.unlink()
    if (run / JOURNAL).read_bytes():
        assert f"continue with anet evolve --resume {run}" in result.stderr
        assert finished(run, "--resume", str(run)) == reference_files
    else:  # not even the start event fitted
        assert f"continue with anet evolve --out {run} with its options again" in result.stderr
        assert finished(run, "--out", str(run), *SMALL, "--seed", SEEDS[0], "--seed", SEEDS[1]) == reference_files
    assert journal_events(run) == reference_events


# -- what a user does to a run ---------------------------------------------------------------------


def test_an_edited_candidate_file_is_kept_aside_with_a_warning(tmp_path, reference):
    reference_run, reference_files, _ = reference
    run = tmp_path / "run"
    run.mkdir()
    (run / JOURNAL).write_bytes((reference_run / JOURNAL).read_bytes())
    edited = run / "candidates" / "c00002.anet"
    edited.parent.mkdir()
    text = reference_files["candidates/c00002.anet"].decode().replace("C=64", "C=96", 1)
    assert text.encode() != reference_files["candidates/c00002.anet"]
    edited.write_text(text)
    result = evolve("--resume", str(run))
    assert result.exit_code == 0, result.output
    kept = list(edited.parent.glob("c00002.anet.edited-*"))
    assert len(kept) == 1 and kept[0].read_text() == text
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert warning == [
        f"warning: {edited} was edited; the run's own version is written back, your edit is kept as {kept[0]}"
    ]
    assert edited.read_bytes() == reference_files["candidates/c00002.anet"]
    # the views a crash or a power loss leaves are rewritten without a word: the candidate before
    # its result, an empty file, NUL bytes
    edited.write_bytes(b"")
    (run / "candidates" / "c00003.anet").write_bytes(b"\0" * 100)
    again = evolve("--resume", str(run))
    assert again.exit_code == 0 and "warning" not in again.stderr
    assert {k: v for k, v in files(run).items() if ".edited-" not in k} == reference_files


def test_a_search_whose_every_candidate_failed_says_so(tmp_path, monkeypatch):
    def broken(text: str, seed: int | None = None):
        raise ImportError("no torch")

    monkeypatch.setattr(fitness_module, "synthetic_fitness", broken)
    run = tmp_path / "run"
    result = evolve("--out", str(run), *SMALL)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "no trained candidate to select a parent from (4 failed; c00000: ImportError: no torch)" in result.stderr
    assert f"anet evolve --resume {run} --retry-failed" in result.stderr
    assert "internal error" not in result.stderr
    # and with no rounds to select parents for: the same story, not a missing best.anet
    empty = evolve("--out", str(tmp_path / "none"), *SMALL[:-4], "--rounds", "0")
    assert empty.exit_code == 1 and "no candidate of" in empty.stderr and "was trained" in empty.stderr


# -- the run directory's lock ----------------------------------------------------------------------


def test_a_locked_run_directory_is_refused_with_the_holders_pid(tmp_path, reference):
    reference_run, _, _ = reference
    run = tmp_path / "run"
    run.mkdir()
    (run / JOURNAL).write_bytes((reference_run / JOURNAL).read_bytes())
    with run_lock(run):
        result = evolve("--resume", str(run))
        fresh = evolve("--out", str(tmp_path / "new"), *SMALL)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"Error: {run} is in use by another anet process (pid {os.getpid()}); wait for it to end, or stop it"
    ]
    assert fresh.exit_code == 0, fresh.output  # another directory: no conflict
    assert evolve("--resume", str(run)).exit_code == 0  # released
    assert (run / LOCK).read_text() == f"{os.getpid()}\n"  # the last holder (CliRunner runs in this process)


# -- real processes ---------------------------------------------------------------------------------


def launch(*args: str) -> subprocess.Popen:
    """`anet evolve ARGS` in its own process group, with Ctrl-C's default action (as in a terminal);
    its stderr goes to a file (`stderr_of`): a pipe would be held open by any worker left behind, and
    reading it would hang.

    A shell that starts pytest in the background (`make test &`, `nohup`) hands it SIGINT ignored,
    and an ignored signal is inherited: the search would never see the Ctrl-C of the test below. A
    handler is not inherited (exec resets it to the default), so one is set while the child starts."""
    run = Path(args[args.index("--out" if "--out" in args else "--resume") + 1])
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with (run.parent / f"stderr-{time.monotonic_ns()}.txt").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "anet", "evolve", *args],
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
                env=os.environ | {"COLUMNS": "100"},
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    process.log = Path(log.name)  # type: ignore[attr-defined]
    return process


def stderr_of(process: subprocess.Popen) -> str:
    return process.log.read_text()  # type: ignore[attr-defined]


def wait_for_events(run: Path, process: subprocess.Popen, count: int) -> None:
    deadline = time.monotonic() + 60
    while not (run / JOURNAL).exists() or (run / JOURNAL).read_bytes().count(b"\n") < count:
        assert process.poll() is None, stderr_of(process)
        assert time.monotonic() < deadline, "the search made no progress"
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended (its parent, gone, cannot reap it; init will)


def still_running(pids: list[int], *, wait: float = 5.0) -> list[int]:
    """The processes of `pids` still alive after waiting up to `wait` seconds for them to end."""
    deadline = time.monotonic() + wait
    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if running(pid)]


@pytest.mark.slow  # a search in a subprocess, killed
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killing_only_the_search_process_leaves_no_worker_behind(tmp_path, how):
    """Two worker processes and multiprocessing's resource tracker: all gone within seconds once
    the main process alone is killed. SIGTERM stops the search cleanly (exit 143, one line)."""
    run = tmp_path / "run"
    process = launch("--out", str(run), *ENDLESS)
    spawned: list[int] = []
    try:
        wait_for_events(run, process, 20)
        spawned += children(process.pid)
        assert len(spawned) >= 3, spawned  # two workers and the resource tracker
        os.kill(process.pid, getattr(signal, how))
        code = process.wait(timeout=30)
        stderr = stderr_of(process)
        assert not still_running(spawned), f"left running after {how}"
    finally:
        with_group_killed(process, spawned)
    if how == "SIGTERM":
        assert code == 128 + signal.SIGTERM
        assert stderr.rstrip().endswith(f"terminated; resume with anet evolve --resume {run}")
        assert "Traceback" not in stderr
    else:
        assert code == -signal.SIGKILL


@pytest.mark.slow  # a search in a subprocess, interrupted
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_stops_the_search_and_its_workers_with_one_line(tmp_path):
    run = tmp_path / "run"
    process = launch("--out", str(run), *ENDLESS)
    spawned: list[int] = []
    try:
        wait_for_events(run, process, 20)
        spawned += children(process.pid)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        code = process.wait(timeout=30)
        stderr = stderr_of(process)
        assert not still_running(spawned)
    finally:
        with_group_killed(process, spawned)
    assert code == 130
    assert stderr.rstrip().endswith(f"interrupted; resume with anet evolve --resume {run}")
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert (run / JOURNAL).read_bytes().endswith(b"\n")


@pytest.mark.slow  # three searches in subprocesses
def test_two_resumes_at_once_one_is_refused(tmp_path):
    """Issue 11: two `anet evolve --resume DIR` at once both ran, and the journal got candidates
    created twice with different architectures. Now the second one is refused, naming the first."""
    run = tmp_path / "run"
    first = launch("--out", str(run), *ENDLESS)
    try:
        wait_for_events(run, first, 10)
    finally:
        with_group_killed(first)
    both = [launch("--resume", str(run)), launch("--resume", str(run))]
    try:
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in both):
            assert time.monotonic() < deadline, "neither was refused"
            time.sleep(0.02)
        refused = next(p for p in both if p.poll() is not None)
        winner = next(p for p in both if p is not refused)
        wait_for_events(run, winner, (run / JOURNAL).read_bytes().count(b"\n") + 5)  # it goes on
    finally:
        for process in both:
            with_group_killed(process)
    assert refused.returncode == 1
    assert stderr_of(refused).strip().splitlines() == [
        f"Error: {run} is in use by another anet process (pid {winner.pid}); wait for it to end, or stop it"
    ]
    created = [e["id"] for e in events(run) if e["event"] == "created"]
    assert len(created) == len(set(created))  # one search in the journal: each candidate created once


def with_group_killed(process: subprocess.Popen, spawned: Iterable[int] = ()) -> None:
    """Clean up after a test, also one that failed: the process group, and any child left behind."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for pid in spawned:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
