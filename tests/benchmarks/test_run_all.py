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


def written_block(module: str, args: str) -> str | None:
    """The block a run with these arguments writes: ``--write-docs``'s value, or the module's name when
    it has none; None without ``--write-docs``."""
    words = shlex.split(args)
    if "--write-docs" not in words:
        return None
    after = words[words.index("--write-docs") + 1 :]
    return after[0] if after and not after[0].startswith("--") else module


def test_every_block_is_written_by_the_run_that_run_all_makes_for_it():
    args = suite()
    for name in blocks():
        assert written_block(name.split(":")[0], args[name]) == name, f"run_all.sh's {name} does not write its block"


def test_every_benchmark_that_can_write_docs_has_a_block_and_run_all_writes_it():
    found = blocks()
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        if path.stem == "common" or "add_docs_option(" not in path.read_text(encoding="utf-8"):
            continue
        names = [name for name in suite() if name.split(":")[0] == path.stem]
        assert any(name in found for name in names), f"{path.stem} writes into docs/, which has no block for it"
        for name in names:
            assert written_block(path.stem, suite()[name]) == name, f"run_all.sh runs {name} without --write-docs"
