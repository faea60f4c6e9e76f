"""What every benchmark shares: one timer, the machine line printed beside every figure, and the
writing of a benchmark's table into its page of docs/.

A table in docs/ sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; ``--write-docs``
replaces what is between them with the command that made it, the machine line and the table, so no
figure is copied by hand. NAME is the benchmark's module name, or ``module:variant`` where one
benchmark makes several tables with different arguments (benchmarks/run_all.sh lists them).

Torch is imported only where the machine is described: some benchmarks set OpenMP's environment
before torch is first imported.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed(fn: Callable[[], object], repeats: int, *, warmup: int = 1) -> list[float]:
    """Wall times of ``repeats`` calls after ``warmup`` untimed ones (oneDNN primitive creation,
    the allocator and caches are paid in the warm-up)."""
    for _ in range(warmup):
        fn()
    return [seconds(fn) for _ in range(repeats)]


def load_line(*, busy_above: float = 0.5, warning: str = "timings are unreliable") -> str:
    """The load average as a benchmark prints it beside its set-up, with a warning in capitals when
    other processes share the cores (the figures below it are then disturbed)."""
    load = os.getloadavg()[0]
    return f"load average {load:.2f}" + (f" (OTHER PROCESSES ARE RUNNING: {warning})" if load > busy_above else "")


def machine() -> str:
    """One line for every figure: CPU model, cores, torch's kernel capability, the native bf16
    instructions (AVX512_BF16, AMX_BF16) and torch's version."""
    from anet.training.device import describe_cpu

    return describe_cpu()


@dataclass(frozen=True)
class Table:
    """A markdown table: a header, one alignment per column ("l" or "r") and rows of formatted cells."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[Literal["l", "r"]] | None = None

    def markdown(self) -> str:
        align = self.align or ["l", *["r"] * (len(self.header) - 1)]
        if len(align) != len(self.header) or any(len(row) != len(self.header) for row in self.rows):
            raise ValueError(f"a table of {len(self.header)} columns got rows or alignments of another width")
        rule = ["---:" if a == "r" else "---" for a in align]
        lines = [self.header, rule, *self.rows]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


class MarkerError(ValueError):
    """A benchmark's block is missing from docs/, or its markers are not one matched pair."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block between NAME's markers replaced by ``body`` (markers kept)."""
    begin, end = markers(name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise MarkerError(f"expected one {begin} and one {end}, found {text.count(begin)} and {text.count(end)}")
    start, stop = text.index(begin) + len(begin), text.index(end)
    if stop < start:
        raise MarkerError(f"{end} comes before {begin}")
    return text[:start] + "\n" + body.strip("\n") + "\n" + text[stop:]


def block(text: str, name: str) -> str:
    """What NAME's markers hold in ``text``."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise MarkerError(f"no {begin} ... {end} block")
    return text[text.index(begin) + len(begin) : text.index(end)].strip("\n")


def page_of(name: str, docs: Path = DOCS) -> Path:
    """The one page of ``docs`` that holds NAME's block."""
    begin, _ = markers(name)
    pages = [page for page in sorted(docs.rglob("*.md")) if begin in page.read_text(encoding="utf-8")]
    if len(pages) != 1:
        where = ", ".join(str(p.relative_to(docs)) for p in pages) or "no page"
        raise MarkerError(f"{begin} must be in exactly one page of {docs}, found in {where}")
    return pages[0]


def command_line(module: str, argv: Sequence[str]) -> str:
    return shlex.join(["python", "-m", f"benchmarks.{module}", *argv])


def commit() -> str:
    """The checkout's commit, with "+changes" when the code differs from it; "" outside git. docs/ is
    left out: it is what the benchmarks write, so a second benchmark of one run would see the first's
    table as a change."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs"], cwd=ROOT, capture_output=True
        )
    except OSError:
        return ""
    if head.returncode:
        return ""
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def provenance(module: str, argv: Sequence[str], machine_line: str) -> str:
    """The lines above a written table: the command that made it, and where and when it ran."""
    at = commit()
    return (
        f"`{command_line(module, argv)}`\n\n"
        f"{machine_line}; {datetime.date.today().isoformat()}"
        + (f", commit {at}" if at else "")
        + f", load average {os.getloadavg()[0]:.1f}\n"
    )


def write_docs(name: str, module: str, argv: Sequence[str], body: str, *, machine_line: str, docs: Path = DOCS) -> Path:
    """Replace NAME's block in its page of ``docs`` with provenance and ``body`` (the tables)."""
    page = page_of(name, docs)
    text = page.read_text(encoding="utf-8")
    page.write_text(replace_block(text, name, provenance(module, argv, machine_line) + "\n" + body), encoding="utf-8")
    return page


def add_docs_option(parser: argparse.ArgumentParser, module: str) -> None:
    parser.add_argument(
        "--write-docs",
        nargs="?",
        const=module,
        default=None,
        metavar="BLOCK",
        help=f"write the table into docs/ between its markers (default block: {module})",
    )


def publish(args: argparse.Namespace, module: str, body: str, machine_line: str | None = None) -> None:
    """Print ``body``; with ``--write-docs`` also write it into its block of docs/."""
    print(body)
    if args.write_docs:
        page = write_docs(args.write_docs, module, sys.argv[1:], body, machine_line=machine_line or machine())
        print(f"wrote the table into {page.relative_to(ROOT)} ({args.write_docs})")
