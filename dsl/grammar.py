"""Loads `grammars/anet.lark` once (LALR, with positions) and turns parse trees into line records.

The transformer only converts tokens into plain values with their spans; deciding what a line
means (and complaining about it) is the builder's job, so that all problems can be collected
instead of stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.tree import Meta

from anet.dsl.diagnostics import Span


@cache
def parser() -> Lark:
    text = resources.files("anet.grammars").joinpath("anet.lark").read_text(encoding="utf-8")
    return Lark(
        text,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        start="start",
    )


def token_span(token: Token) -> Span:
    return Span(
        line=token.line or 0,
        column=token.column or 0,
        end_line=token.end_line or token.line or 0,
        end_column=token.end_column or token.column or 0,
    )


def meta_span(meta: Meta) -> Span:
    return Span(line=meta.line, column=meta.column, end_line=meta.end_line, end_column=meta.end_column)


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


def _value(token: Token, convert: Any = str) -> Value:
    return Value(convert(token), token_span(token))


def _number(token: Token) -> float | int:
    text = str(token)
    return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else float(text)


def _keyword_span(meta: Meta, keyword: str) -> Span:
    return Span(line=meta.line, column=meta.column, end_line=meta.line, end_column=meta.column + len(keyword))


@v_args(meta=True)
class LineTransformer(Transformer):
    """Parse tree -> `Line` records. Statement methods return `Statement`s; attribute methods
    return (key, value, span) triples that the builder checks for duplicates and misplacement."""

    def start(self, meta: Meta, children: list[Line]) -> list[Line]:
        return children

    def line(self, meta: Meta, children: list[Any]) -> Line:
        record = Line(number=meta.line if not meta.empty else 0)
        for child in children:
            if isinstance(child, Token) and child.type == "COMMENT":
                record.comment = str(child).rstrip()
                record.number = record.number or (child.line or 0)
            else:
                record.statement = child
        return record

    def _statement(self, kind: str, meta: Meta, args: tuple[Any, ...], keyword: str | None = None) -> Statement:
        return Statement(kind, args, meta_span(meta), _keyword_span(meta, keyword or kind))

    def network(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("network", meta, (_value(children[0]),))

    def classes(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("classes", meta, (_value(children[0], int),))

    def depth(self, meta: Meta, children: list[Any]) -> Statement:
        (arg,) = children
        value = arg if isinstance(arg, Value) else _value(arg, int)
        return self._statement("depth", meta, (value,))

    def int_list(self, meta: Meta, children: list[Token]) -> Value:
        return Value(tuple(int(c) for c in children), meta_span(meta))

    def pool(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("pool", meta, (_value(children[0]),))

    def edges(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("edges", meta, (_value(children[0]),))

    def flow(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("flow", meta, (_value(children[0]),))

    def clip(self, meta: Meta, children: list[Value]) -> Statement:
        return self._statement("clip", meta, tuple(children))

    def clip_setting(self, meta: Meta, children: list[Token]) -> tuple[Value, Value]:
        return (_value(children[0]), _value(children[1], int))  # type: ignore[return-value]

    def width(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("width", meta, (_value(children[0], float),))

    def budget(self, meta: Meta, children: list[Any]) -> Statement:
        return self._statement("budget", meta, tuple(children))

    def budget_setting(self, meta: Meta, children: list[Token]) -> tuple[Value, Value]:
        return (_value(children[0]), _value(children[1], int))

    def parent(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("parent", meta, (Value(str(children[0])[1:-1], token_span(children[0])),))

    def round(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("round", meta, (_value(children[0], int),))

    def fitness(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("fitness", meta, (_value(children[0], float),))

    def mutations(self, meta: Meta, children: list[Value]) -> Statement:
        return self._statement("mutations", meta, tuple(children))

    def mutation(self, meta: Meta, children: list[Token]) -> Value:
        kind, *args = children
        return Value((_value(kind), tuple(str(a) for a in args)), meta_span(meta))

    def hash(self, meta: Meta, children: list[Token]) -> Statement:
        return self._statement("hash", meta, (_value(children[0]),))

    def stem(self, meta: Meta, children: list[Any]) -> Statement:
        return self._statement("stem", meta, (_value(children[0]), *children[1:]))

    def block(self, meta: Meta, children: list[Any]) -> Statement:
        return self._statement("block", meta, (_value(children[0]), *children[1:]))

    def inputs(self, meta: Meta, children: list[RawEdge]) -> tuple[str, tuple[RawEdge, ...], Span]:
        return ("in", tuple(children), meta_span(meta))

    def edge(self, meta: Meta, children: list[Token]) -> RawEdge:
        weight = Value(_number(children[1]), token_span(children[1])) if len(children) > 1 else None
        return RawEdge(source=_value(children[0]), weight=weight)

    def _attr(self, key: str, meta: Meta, children: list[Token]) -> tuple[str, Value, Span]:
        return (key, _value(children[0], int), meta_span(meta))

    def channels(self, meta: Meta, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("C", meta, children)

    def r(self, meta: Meta, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("r", meta, children)

    def stride(self, meta: Meta, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("stride", meta, children)

    def level(self, meta: Meta, children: list[Token]) -> tuple[str, Value, Span]:
        return self._attr("level", meta, children)
