"""lark-cython (a dependency, for speed) and pure-Python Lark run the same LALR tables: every file
must give the same network and the same diagnostics with either, so that the pure-Python fallback
(platforms without a lark-cython wheel) stays correct."""

from __future__ import annotations

from pathlib import Path

import pytest

import anet.dsl.grammar as grammar
from anet.dsl import check_file

CASES = Path(__file__).parent / "cases"
FILES = sorted([*CASES.glob("*/*.anet"), *(Path(__file__).parents[2] / "examples").glob("*.anet")])


def outcome(path: Path) -> tuple[object, list[tuple[str, int, int, str]]]:
    checked = check_file(path)
    return checked.network, [(d.code, d.span.line, d.span.column, d.message) for d in checked.diagnostics]


@pytest.fixture
def pure_python(monkeypatch):
    """The parser built without the lark-cython plugin, restored afterwards."""
    monkeypatch.setattr(grammar, "lark_cython", None)
    grammar.parser.cache_clear()
    yield
    grammar.parser.cache_clear()


def test_lark_cython_is_installed():
    assert grammar.lark_cython is not None, "lark-cython is a dependency of anet"


def test_both_backends_agree(pure_python):
    with_plain = {path: outcome(path) for path in FILES}
    grammar.lark_cython = __import__("lark_cython")
    grammar.parser.cache_clear()
    with_cython = {path: outcome(path) for path in FILES}
    assert len(FILES) > 20
    for path in FILES:
        assert with_plain[path] == with_cython[path], path
