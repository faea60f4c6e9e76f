"""benchmarks/run_all.sh states each benchmark's arguments once, and docs/ quotes exactly those: every
table's block starts with the command run_all.sh runs for it, and every benchmark is in the suite."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "benchmarks" / "run_all.sh").read_text(encoding="utf-8")
DOCS = {page: page.read_text(encoding="utf-8") for page in sorted((ROOT / "docs").rglob("*.md"))}
DEFAULT_OUT = "runs/bench"


def suite() -> dict[str, str]:
    """run_all.sh's ARGS: NAME -> its arguments, with OUT at its default."""
    table = SCRIPT[SCRIPT.index("declare -A ARGS=(") : SCRIPT.index("\n)\n")]
    return {k: v.replace("$OUT", DEFAULT_OUT) for k, v in re.findall(r'^\s+\[([\w:]+)\]="([^"]*)"$', table, re.M)}


def order() -> list[str]:
    text = SCRIPT[SCRIPT.index("ORDER=(") + len("ORDER=(") :]
    return text[: text.index(")")].split()


def command(name: str, args: str) -> str:
    return shlex.join(["python", "-m", f"benchmarks.{name.split(':')[0]}", *shlex.split(args)])


def blocks() -> dict[str, str]:
    found = {}
    for text in DOCS.values():
        for name, body in re.findall(r"<!-- bench:([\w:]+) -->\n(.*?)<!-- /bench:\1 -->", text, re.DOTALL):
            assert name not in found, f"two blocks named {name}"
            found[name] = body
    return found


def test_every_benchmark_is_in_the_suite_once():
    modules = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"__init__", "common"}
    args = suite()
    assert {name.split(":")[0] for name in args} == modules
    assert sorted(order()) == sorted(args)


def test_each_block_starts_with_the_command_run_all_runs():
    args = suite()
    found = blocks()
    assert set(found) <= set(args), "a block of docs/ that run_all.sh does not make"
    for name, body in found.items():
        first = body.splitlines()[0]
        assert first == f"`{command(name, args[name])}`", name


def test_every_command_of_the_suite_is_quoted_in_the_docs():
    text = "\n".join(DOCS.values())
    missing = [name for name, a in suite().items() if f"`{command(name, a)}`" not in text.replace("\n", " ")]
    assert missing == []


def test_benchmarks_that_write_docs_have_a_block_and_the_option():
    found = blocks()
    for name, args in suite().items():
        if "--write-docs" in args:
            assert name in found, name
            source = (ROOT / "benchmarks" / f"{name.split(':')[0]}.py").read_text(encoding="utf-8")
            assert "add_docs_option(" in source and "publish(" in source, name
