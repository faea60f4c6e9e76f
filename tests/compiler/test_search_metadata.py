"""The search's cost lines (`latency`, `gflops`, `params`, `retrained`) are metadata: a file with
them compiles to the code of the same file without them."""

from __future__ import annotations

from pathlib import Path

from anet.compiler import compile_network
from anet.dsl import parse

EVERYTHING = Path(__file__).parent / "cases" / "everything.anet"
FITNESS = "  fitness 1.4375\n"
COST = "  latency 1603.2\n  gflops 41.27\n  params 24361231\n  retrained mean=1.312 se=0.015 runs=3\n"
COMMENTS = "  # a\n  # b\n  # c\n  # d\n"  # as many lines, so that the nodes keep their line numbers


def compiled(text: str) -> list[str]:
    """The generated module but its SOURCE_SHA256 line (the file's text differs, by design)."""
    source = compile_network(parse(text), text, EVERYTHING.name)
    return [line for line in source.splitlines() if not line.startswith("SOURCE_SHA256 = ")]


def test_a_file_with_the_cost_lines_compiles_to_the_same_code():
    text = EVERYTHING.read_text()
    assert FITNESS in text
    measured = text.replace(FITNESS, FITNESS + COST)
    assert parse(measured).header.retrained is not None
    assert compiled(measured) == compiled(text.replace(FITNESS, FITNESS + COMMENTS))
