"""`anet check / fmt / import / export` as a user runs them: exit codes, output, files on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from anet.cli.main import anet

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
BAD = ROOT / "tests" / "dsl" / "cases" / "bad"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(anet, list(args), input=input, catch_exceptions=False)


def test_check_accepts_every_example():
    files = sorted(str(p) for p in EXAMPLES.glob("*.anet"))
    result = run("check", *files)
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (") == len(files)


def test_check_reports_all_errors_of_all_files_and_exits_1():
    result = run("check", str(BAD / "references.anet"), str(BAD / "budgets.anet"))
    assert result.exit_code == 1
    assert "references.anet:7:24: error[E131]: block 4 reads unknown node 30" in result.output
    assert "budgets.anet:8:24: error[E150]" in result.output
    assert isinstance(result.exception, SystemExit)  # exit 1 by the error policy, not an escaped exception


def test_check_json():
    result = run("check", "--format", "json", str(BAD / "weights.anet"), str(EXAMPLES / "assemblenet50.anet"))
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert [(r["code"], r["line"], r["column"]) for r in rows] == [("E160", 6, 23), ("E161", 7, 28), ("E162", 8, 17)]


def test_usage_errors_exit_2():
    assert run("check", str(ROOT / "no-such-file.anet")).exit_code == 2
    assert run("check").exit_code == 2
    assert run("fmt", "--bogus", str(EXAMPLES / "assemblenet50.anet")).exit_code == 2


def test_fmt_rewrites_in_place_and_check_mode_reports(tmp_path):
    messy = tmp_path / "m.anet"
    messy.write_text("network m\nclasses 3\nstem 0 in=[rgb]   r=1 C=64 # s\nblock 1 level=4 in=[0] C=8 r=1 stride=1\n")
    assert run("fmt", "--check", str(messy)).exit_code == 1
    assert run("fmt", str(messy)).exit_code == 0
    assert messy.read_text() == (
        "network m\n  classes 3\n\nstem 0 in=[rgb] C=64 r=1  # s\nblock 1 level=4 in=[0] C=8 r=1\n"
    )
    assert run("fmt", "--check", str(messy)).exit_code == 0
    assert list(tmp_path.iterdir()) == [messy]  # no temporary files left behind


def test_fmt_never_touches_a_file_with_errors(tmp_path):
    broken = tmp_path / "b.anet"
    original = (BAD / "references.anet").read_text()
    broken.write_text(original)
    result = run("fmt", str(broken))
    assert result.exit_code == 1
    assert "E131" in result.output
    assert broken.read_text() == original


def test_fmt_stdin_to_stdout():
    result = run("fmt", "-", input="network m\nclasses 3\nstem 0 in=[rgb] C=64 r=1\nblock 1 level=4 in=[0] C=8 r=1\n")
    assert result.exit_code == 0
    assert result.stdout.startswith("network m\n  classes 3\n\nstem 0")


def test_fmt_rehash(tmp_path):
    stale = tmp_path / "s.anet"
    stale.write_text((BAD / "stale_hash.anet").read_text())
    assert "W170" in run("check", str(stale)).output
    assert run("fmt", "--rehash", str(stale)).exit_code == 0
    assert "W170" not in run("check", str(stale)).output


@pytest.mark.parametrize("name", ["assemblenet50", "assemblenet101"])
def test_import_then_export_reproduces_the_published_entry(tmp_path, name):
    out = tmp_path / f"{name}.anet"
    source = str(EXAMPLES / "published-structures.json")
    assert run("import", source, "--name", name, "--classes", "339", "-o", str(out)).exit_code == 0
    exported = run("export", str(out))
    assert exported.exit_code == 0
    assert json.loads(exported.stdout) == json.loads(Path(source).read_text())[name]
    assert run("check", str(out)).exit_code == 0


def test_import_errors_are_messages(tmp_path):
    source = str(EXAMPLES / "published-structures.json")
    result = run("import", source, "--name", "nope")
    assert result.exit_code == 1
    assert "has no entry 'nope'; it has: assemblenet50, assemblenet101, assemblenet_plus50" in result.output
    garbage = tmp_path / "g.json"
    garbage.write_text("{not json")
    result = run("import", str(garbage), "--name", "x")
    assert result.exit_code == 1 and "not JSON" in result.output


def test_installed_console_script_never_shows_a_traceback(tmp_path):
    """The `anet` program pip installed (its entry point, not `python -m anet`)."""
    console = Path(sys.executable).with_name("anet")
    assert console.is_file(), f"{console}: anet is not installed in this environment (make setup)"
    weird = tmp_path / "weird.anet"
    weird.write_bytes(b"\xff\xfe network \x00\n")
    for args in (["check", str(weird)], ["fmt", str(weird)], ["export", str(BAD / "budgets.anet")]):
        proc = subprocess.run([str(console), *args], capture_output=True, text=True)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout and "internal error" not in proc.stderr
        assert proc.stderr.strip(), "the error is reported on stderr"


MESSY = "network m\nclasses 3\nstem 0 in=[rgb]   r=1 C=64 # s\nblock 1 level=4 in=[0] C=8 r=1 stride=1\n"


def test_fmt_writes_through_a_symlink_and_keeps_the_mode(tmp_path):
    real = tmp_path / "real.anet"
    real.write_text(MESSY)
    real.chmod(0o640)
    link = tmp_path / "link.anet"
    link.symlink_to(real.name)
    assert run("fmt", str(link)).exit_code == 0
    assert link.is_symlink() and link.readlink() == Path(real.name)
    assert real.read_text().startswith("network m\n  classes 3\n\n")
    assert real.stat().st_mode & 0o777 == 0o640


def test_fmt_writes_nothing_that_does_not_read_back_the_same(tmp_path, monkeypatch):
    import anet.dsl.printer as printer  # `anet fmt` imports the printer when it runs

    path = tmp_path / "m.anet"
    path.write_text(MESSY)
    monkeypatch.setattr(printer, "format_network", lambda network: MESSY.replace("C=64", "C=32"))
    result = CliRunner().invoke(anet, ["fmt", str(path)])
    assert result.exit_code == 3 and "does not read back as the same network" in result.output
    assert path.read_text() == MESSY
    assert CliRunner().invoke(anet, ["fmt", "-"], input=MESSY).exit_code == 3
