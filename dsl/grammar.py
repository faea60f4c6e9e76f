"""Loads `grammars/anet.lark` once (LALR) and turns what it parses into line records.

The transformer only converts tokens into typed statements of plain values with their spans;
deciding what a line means (and complaining about it) is the builder's job, so that all problems
can be collected instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from lark import Lark, Token, Transformer

try:
    import lark_cython
except ImportError:  # a dependency, but wheels are not everywhere; pure-Python Lark gives the same results
    lark_cython = None

from ..files import user_cache_dir
from .constants import MAX_INT_DIGITS
from .diagnostics import Span
from .header import HEADER_FIELDS, HeaderField


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
    root = user_cache_dir()
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
class NetworkLine:
    """`network NAME`."""

    name: Value
    span: Span
    keyword_span: Span


_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class HeaderValue:
    """A header setting with one value: `classes 157`, `depth [3, 4, 6, 3]`."""

    keyword: str
    value: Value
    span: Span
    keyword_span: Span


@dataclass(frozen=True)
class HeaderSettings:
    """A header setting of `key=value` pairs: `clip frames=32`, `budget l1=128`."""

    keyword: str
    settings: tuple[tuple[Value, Value], ...]
    span: Span
    keyword_span: Span


@dataclass(frozen=True)
class HeaderItems:
    """A header setting listing items: `mutations [split(8, 15)]`, each a (name, arguments) Value."""

    keyword: str
    items: tuple[Value, ...]
    span: Span
    keyword_span: Span


@dataclass(frozen=True)
class Attribute:
    """`C=64`, `r=2`, `in=[...]` and `peers=[...]` (their values tuples of `RawEdge`) on a node
    line, with its span."""

    key: str
    value: Any
    span: Span


@dataclass(frozen=True)
class NodeLine:
    """`stem ID ...` or `block ID ...`: the attributes as written, checked by the builder."""

    kind: Literal["stem", "block"]
    id: Value
    attributes: tuple[Attribute, ...]
    span: Span
    keyword_span: Span


HeaderLine = HeaderValue | HeaderSettings | HeaderItems
Statement = NetworkLine | HeaderLine | NodeLine


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


def _value(token: Token, convert: Callable[[str], Any] = str) -> Value:
    """`convert` int reads a number as written (`params 1.5` stays 1.5), so that the header model,
    not the parser, says what is wrong with it, at its place."""
    span = token_span(token)
    return Value(_number(token.value, span) if convert is int else convert(token.value), span)


def _joined(start: Span, end: Span) -> Span:
    return Span(line=start.line, column=start.column, end_line=end.end_line, end_column=end.end_column)


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
    methods get their keyword token first and return typed `Statement`s (one method per header
    keyword, made from its row of `HEADER_FIELDS` below); attribute methods return `Attribute`s
    that the builder checks for duplicates and misplacement."""

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

    def network(self, children: list[Token]) -> NetworkLine:
        keyword, token = children
        name = _value(token)
        return NetworkLine(name, _joined(token_span(keyword), name.span), token_span(keyword))

    def int_list(self, children: list[Token]) -> Value:
        first, last = token_span(children[0]), token_span(children[-1])
        span = Span(line=first.line, column=first.column - 1, end_line=last.end_line, end_column=last.end_column + 1)
        return Value(tuple(_value(c, int).value for c in children), span)

    def setting(self, children: list[Token]) -> tuple[Value, Value]:
        key, value = children
        return (_value(key), _value(value, int if _INTEGER.fullmatch(value.value) else float))

    def mutation(self, children: list[Token]) -> Value:
        kind, *args = children
        end = token_span(args[-1] if args else kind)
        span = Span(line=end.line, column=kind.column or 0, end_line=end.end_line, end_column=end.end_column + 1)
        return Value((_value(kind), tuple(a.value for a in args)), span)

    @staticmethod
    def _node(kind: Literal["stem", "block"], children: list[Any]) -> NodeLine:
        keyword, node_id, *attrs = children
        value = _value(node_id)
        start = token_span(keyword)
        return NodeLine(kind, value, tuple(attrs), _joined(start, attrs[-1].span if attrs else value.span), start)

    def stem(self, children: list[Any]) -> NodeLine:
        return self._node("stem", children)

    def block(self, children: list[Any]) -> NodeLine:
        return self._node("block", children)

    def inputs(self, children: list[Any]) -> Attribute:
        keyword, *tokens, bracket = children
        return Attribute("in", tuple(_edge(t) for t in tokens), _joined(token_span(keyword), token_span(bracket)))

    def peers(self, children: list[Any]) -> Attribute:
        keyword, *tokens, bracket = children
        return Attribute("peers", tuple(_edge(t) for t in tokens), _joined(token_span(keyword), token_span(bracket)))

    def attention_mode(self, children: list[Token]) -> Attribute:
        keyword, token = children
        value = _value(token)
        return Attribute("attention", value, _joined(token_span(keyword), value.span))

    @staticmethod
    def _attribute(key: str, children: list[Any]) -> Attribute:
        """`C=` also takes a lite block's filter triple `[27, 27, 12]`, already a Value."""
        keyword, token = children
        value = token if isinstance(token, Value) else _value(token, int)
        return Attribute(key, value, _joined(token_span(keyword), value.span))

    def channels(self, children: list[Token]) -> Attribute:
        return self._attribute("C", children)

    def r(self, children: list[Token]) -> Attribute:
        return self._attribute("r", children)

    def stride(self, children: list[Token]) -> Attribute:
        return self._attribute("stride", children)

    def level(self, children: list[Token]) -> Attribute:
        return self._attribute("level", children)


def _header_rule(field: HeaderField) -> Callable[[LineTransformer, list[Any]], HeaderLine]:
    """The transformer method of one header keyword (the grammar rule's alias), from its table row."""

    def value(_self: LineTransformer, children: list[Any]) -> HeaderLine:
        keyword, token = children
        read = token if isinstance(token, Value) else _value(token, field.read)
        return HeaderValue(field.keyword, read, _joined(token_span(keyword), read.span), token_span(keyword))

    def settings(_self: LineTransformer, children: list[Any]) -> HeaderLine:
        keyword, *pairs = children
        span = _joined(token_span(keyword), pairs[-1][1].span)
        return HeaderSettings(field.keyword, tuple(pairs), span, token_span(keyword))

    def items(_self: LineTransformer, children: list[Any]) -> HeaderLine:
        keyword, *entries, bracket = children
        span = _joined(token_span(keyword), token_span(bracket))
        return HeaderItems(field.keyword, tuple(entries), span, token_span(keyword))

    return {"value": value, "settings": settings, "items": items}[field.form]


for _field in HEADER_FIELDS:
    setattr(LineTransformer, _field.keyword, _header_rule(_field))
