"""Loads `grammars/anet.lark` once (LALR) and turns what it parses into line records.

The transformer only converts tokens into plain values with their spans; deciding what a line
means (and complaining about it) is the builder's job, so that all problems can be collected
instead of stopping at the first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer

try:
    import lark_cython
except ImportError:  # a dependency, but wheels are not everywhere; pure-Python Lark gives the same results
    lark_cython = None

from anet.dsl.constants import MAX_INT_DIGITS
from anet.dsl.diagnostics import Span


@cache
def parser() -> Lark:
    """The parser applies `LineTransformer` while it parses, so no parse tree is ever built."""
    text = resources.files("anet.grammars").joinpath("anet.lark").read_text(encoding="utf-8")
    options: dict[str, Any] = {}
    if lark_cython is not None:  # the same LALR tables run by compiled code: 2.6x faster
        options["_plugins"] = lark_cython.plugins
    cache_file = _table_cache()
    if cache_file is not None:  # building the LALR tables is a third of `anet check`'s own time
        options["cache"] = str(cache_file)
    return Lark(
        text, parser="lalr", lexer="contextual", maybe_placeholders=False, transformer=LineTransformer(), **options
    )


def _table_cache() -> Path | None:
    """Where Lark keeps the grammar's LALR tables between runs: the user's cache folder (Lark checks
    the grammar's and options' hash stored in the file and rebuilds it when they differ), or None
    when that folder cannot be made."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "anet"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return root / "grammar-tables.lark"


def token_span(token: Token) -> Span:
    return Span(
        line=token.line or 0,
        column=token.column or 0,
        end_line=token.end_line or token.line or 0,
        end_column=token.end_column or token.column or 0,
    )


@dataclass(frozen=True)
class Value:
    """A scalar from the file with where it was written."""

    value: Any
    span: Span


@dataclass(frozen=True)
class RawEdge:
    source: Value
    weight: Value | None


@dataclass(frozen=True)
class Statement:
    """One statement: `kind` is the rule alias (network, classes, stem, ...); `args` its values."""

    kind: str
    args: tuple[Any, ...]
    span: Span
    keyword_span: Span


@dataclass
class Line:
    number: int
    statement: Statement | None = None
    comment: str | None = None


class NumberTooLongError(Exception):
    """An integer literal with more digits than any bound (`constants.MAX_INT_DIGITS`), raised while
    parsing so that it is reported at its place instead of being converted."""

    def __init__(self, digits: int, span: Span) -> None:
        super().__init__(f"a number with {digits} digits")
        self.digits, self.span = digits, span


def _int(text: str, span: Span) -> int:
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        raise NumberTooLongError(digits, span)
    return int(text)


def _value(token: Token, convert: Any = str) -> Value:
    span = token_span(token)
    return Value(_int(token.value, span) if convert is int else convert(token.value), span)


def _number(text: str, span: Span) -> float | int:
    return _int(text, span) if re.fullmatch(r"[-+]?[0-9]+", text) else float(text)


def _edge(token: Token) -> RawEdge:
    """`ID` or `ID@weight` (one WEIGHTED_EDGE lexeme), split with positions for both halves."""
    text = token.value
    if token.type != "WEIGHTED_EDGE":
        return RawEdge(source=_value(token), weight=None)
    source, weight = text.split("@")
    line, column = token.line or 0, token.column or 0
    at = column + len(source)
    weight_span = Span(line, at + 1, line, token.end_column or at + 1 + len(weight))
    return RawEdge(
        source=Value(source, Span(line, column, line, at)), weight=Value(_number(weight, weight_span), weight_span)
    )


class LineTransformer(Transformer):
    """Parse tree -> `Line` records, run inside the LALR parser (no tree is built). Statement
    methods get their keyword token first and return `Statement`s; attribute methods return
    (key, value, span) triples that the builder checks for duplicates and misplacement."""

    def start(self, children: list[Line]) -> list[Line]:
        return children

    def line(self, children: list[Any]) -> Line:
        record = Line(number=0)
        for child in children:
            if isinstance(child, Token) or getattr(child, "type", None) == "COMMENT":  # lark or lark_cython token
                record.comment = child.value.rstrip()
                record.number = child.line or 0
            else:
                record.statement = child
                record.number = child.span.line
        return record

    @staticmethod
    def _make(kind: str, keyword: Token, args: tuple[Any, ...], last: Span) -> Statement:
        start = token_span(keyword)
        span = Span(line=start.line, column=start.column, end_line=last.end_line, end_column=last.end_column)
        return Statement(kind, args, span, start)

    def _single(self, kind: str, children: list[Any], convert: Any = str) -> Statement:
        keyword, token = children
        value = token if isinstance(token, Value) else _value(token, convert)
        return self._make(kind, keyword, (value,), value.span)

    def network(self, children: list[Token]) -> Statement:
        return self._single("network", children)

    def classes(self, children: list[Token]) -> Statement:
        return self._single("classes", children, int)

    def depth(self, children: list[Any]) -> Statement:
        return self._single("depth", children, int)

    def int_list(self, children: list[Token]) -> Value:
        first, last = token_span(children[0]), token_span(children[-1])
        span = Span(line=first.line, column=first.column - 1, end_line=last.end_line, end_column=last.end_column + 1)
        return Value(tuple(_value(c, int).value for c in children), span)

    def pool(self, children: list[Token]) -> Statement:
        return self._single("pool", children)

    def edges(self, children: list[Token]) -> Statement:
        return self._single("edges", children)

    def flow(self, children: list[Token]) -> Statement:
        return self._single("flow", children)

    def width(self, children: list[Token]) -> Statement:
        return self._single("width", children, float)

    def round(self, children: list[Token]) -> Statement:
        return self._single("round", children, int)

    def fitness(self, children: list[Token]) -> Statement:
        return self._single("fitness", children, float)

    def hash(self, children: list[Token]) -> Statement:
        return self._single("hash", children)

    def parent(self, children: list[Token]) -> Statement:
        keyword, token = children
        value = Value(token.value[1:-1], token_span(token))
        return self._make("parent", keyword, (value,), value.span)

    def clip(self, children: list[Any]) -> Statement:
        keyword, *settings = children
        return self._make("clip", keyword, tuple(settings), settings[-1][1].span)

    def budget(self, children: list[Any]) -> Statement:
        keyword, *settings = children
        return self._make("budget", keyword, tuple(settings), settings[-1][1].span)

    def clip_setting(self, children: list[Token]) -> tuple[Value, Value]:
        return (_value(children[0]), _value(children[1], int))

    budget_setting = clip_setting

    def mutations(self, children: list[Any]) -> Statement:
        keyword, *items, bracket = children
        return self._make("mutations", keyword, tuple(items), token_span(bracket))

    def mutation(self, children: list[Token]) -> Value:
        kind, *args = children
        end = token_span(args[-1] if args else kind)
        span = Span(line=end.line, column=kind.column or 0, end_line=end.end_line, end_column=end.end_column + 1)
        return Value((_value(kind), tuple(a.value for a in args)), span)

    def _node(self, kind: str, children: list[Any]) -> Statement:
        keyword, node_id, *attrs = children
        value = _value(node_id)
        return self._make(kind, keyword, (value, *attrs), attrs[-1][2] if attrs else value.span)

    def stem(self, children: list[Any]) -> Statement:
        return self._node("stem", children)

    def block(self, children: list[Any]) -> Statement:
        return self._node("block", children)

    def inputs(self, children: list[Any]) -> tuple[str, tuple[RawEdge, ...], Span]:
        keyword, *tokens, bracket = children
        start, end = token_span(keyword), token_span(bracket)
        edges = tuple(_edge(t) for t in tokens)
        return (
            "in",
            edges,
            Span(line=start.line, column=start.column, end_line=end.end_line, end_column=end.end_column),
        )

    def _attr(self, key: str, children: list[Token]) -> tuple[str, Value, Span]:
        keyword, token = children
        value = _value(token, int)
        start = token_span(keyword)
        return (
            key,
            value,
            Span(line=start.line, column=start.column, end_line=value.span.end_line, end_column=value.span.end_column),
        )

    def channels(self, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("C", children)

    def r(self, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("r", children)

    def stride(self, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("stride", children)

    def level(self, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("level", children)
