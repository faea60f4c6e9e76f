"""`anet runs serve`: its argument errors (exit 1 naming the run, 2 for usage), the warning when it
listens beyond this machine, and a real server process answering while `anet evolve`'s lock is held
on the run, stopped by SIGTERM with one line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from anet.cli.lock import run_lock
from anet.cli.main import anet
from anet.cli.runs import is_loopback

SEARCH = ["evolve", "--fitness", "synthetic", "--population", "4", "--rounds", "3", "--random-seed", "2"]
SERVING = re.compile(r"serving 1 run\(s\) at (http://\S+/)")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serve") / "run"
    done = CliRunner().invoke(anet, [*SEARCH, "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_a_missing_run_or_one_without_a_journal_exits_1_naming_it(run, tmp_path):
    for given, words in ((tmp_path / "nowhere", "no such run directory"), (tmp_path, "not a search run")):
        result = CliRunner().invoke(anet, ["runs", "serve", str(run), str(given)])
        assert result.exit_code == 1, result.output
        assert f"{given}: {words}" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("args", [[], ["RUN", "--port", "70000"], ["RUN", "--port", "x"]])
def test_usage_errors_exit_2(run, args):
    result = CliRunner().invoke(anet, ["runs", "serve", *[str(run) if a == "RUN" else a for a in args]])
    assert result.exit_code == 2, result.output


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost", "LOCALHOST"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org"]))


def serve(run: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """The command in its own process, with the address it printed (its stderr kept for the test)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "anet", "runs", "serve", str(run), "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    line = server.stdout.readline()  # the first line, printed once it listens ("" if it ended)
    found = SERVING.search(line)
    assert found, (line, server.poll(), server.poll() is not None and server.stderr.read())
    return server, found.group(1)


def stop(server: subprocess.Popen) -> tuple[int, str]:
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=20), server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_it_serves_while_the_run_is_locked_and_warns_beyond_this_machine(run, host, warned):
    with run_lock(run):  # as a running `anet evolve` holds it
        server, url = serve(run, "--host", host)
        try:
            with httpx.Client(trust_env=False, timeout=20) as http:  # no proxy between it and the test
                runs = http.get(url.replace("0.0.0.0", "127.0.0.1") + "api/runs").json()["runs"]
            assert [r["name"] for r in runs] == ["run"] and runs[0]["finished"] is True
        finally:
            code, stderr = stop(server)
    assert code == 128 + signal.SIGTERM and "terminated; the dashboard stopped" in stderr
    assert ("warning: listening on 0.0.0.0" in stderr) is warned
    assert "Traceback" not in stderr
