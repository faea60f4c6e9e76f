"""The layout of the Python the compiler writes, in one place: expressions as typed values, and the
one rule that turns them into lines. A statement stays on one line when it fits in `LINE_LENGTH`
columns; otherwise its outermost call, list or dict is exploded one item per line with a trailing
comma (the layout `ruff format` keeps, whatever line length it is configured with), and each item
is laid out by the same rule. Doing this here keeps the templates free of logic and makes the
output independent of whatever formatter a user has installed."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

LINE_LENGTH = 88  # ruff's default: the generated file is formatted under it and under any longer one
INDENT = "    "


@dataclass(frozen=True)
class Code:
    """An expression the compiler wrote itself: a name or attribute path (`width`,
    `self.node_8.out_channels`) or a number in its shortest exact form (`0.13810565`)."""

    text: str


@dataclass(frozen=True)
class Text:
    """A string literal; only the compiler's own strings and validated ids reach it."""

    value: str

    def __post_init__(self) -> None:
        if any(c in self.value for c in '"\\\n'):
            raise ValueError(f"{self.value!r} cannot be written as a plain string literal")


@dataclass(frozen=True)
class ListOf:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class DictOf:
    items: tuple[tuple[Text, Expr], ...]


@dataclass(frozen=True)
class Call:
    """`function(positional..., keyword=value...)`."""

    function: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()


Expr = Code | Text | int | float | bool | None | ListOf | DictOf | Call


def flat(expr: Expr) -> str:
    """The expression on one line."""
    match expr:
        case Code(text):
            return text
        case Text(value):
            return f'"{value}"'
        case ListOf(items):
            return "[" + ", ".join(flat(i) for i in items) + "]"
        case DictOf(items):
            return "{" + ", ".join(f"{flat(k)}: {flat(v)}" for k, v in items) + "}"
        case Call(function, args, kwargs):
            parts = [flat(a) for a in args] + [f"{k}={flat(v)}" for k, v in kwargs]
            return f"{function}({', '.join(parts)})"
        case float():
            return repr(expr)
        case _:
            return str(expr)


def _items(expr: Expr) -> tuple[str, str, list[tuple[str, Expr]]] | None:
    """An explodable expression as (opening, closing, [(prefix, item)]), or None."""
    match expr:
        case ListOf(items) if items:
            return "[", "]", [("", i) for i in items]
        case DictOf(items) if items:
            return "{", "}", [(f"{flat(k)}: ", v) for k, v in items]
        case Call(function, args, kwargs) if args or kwargs:
            return f"{function}(", ")", [("", a) for a in args] + [(f"{k}=", v) for k, v in kwargs]
    return None


def _lines(prefix: str, expr: Expr, suffix: str, indent: str) -> list[str]:
    one = f"{indent}{prefix}{flat(expr)}{suffix}"
    parts = _items(expr)
    if len(one) <= LINE_LENGTH or parts is None:
        return [one]
    opening, closing, items = parts
    out = [f"{indent}{prefix}{opening}"]
    for item_prefix, item in items:
        out += _lines(item_prefix, item, ",", indent + INDENT)
    return [*out, f"{indent}{closing}{suffix}"]


def statement(prefix: str, expr: Expr, depth: int) -> str:
    """`prefix` + `expr` at `depth` indents, e.g. `statement("self.node_8 = ", Call(...), 2)`."""
    return "\n".join(_lines(prefix, expr, "", INDENT * depth))


def signature(name: str, params: Sequence[str], returns: str, depth: int) -> str:
    """`def name(params) -> returns:` on one line, or one parameter per line with a trailing comma."""
    indent = INDENT * depth
    one = f"{indent}def {name}({', '.join(params)}) -> {returns}:"
    if len(one) <= LINE_LENGTH:
        return one
    inner = indent + INDENT
    return "\n".join([f"{indent}def {name}(", *(f"{inner}{p}," for p in params), f"{indent}) -> {returns}:"])


def comment(text: str, depth: int) -> str:
    """A `#` comment, continued on indented comment lines where it is too long."""
    indent = INDENT * depth
    lines = textwrap.wrap(
        text,
        LINE_LENGTH - len(indent) - 2,
        subsequent_indent=INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(f"{indent}# {line}" for line in lines)


def wrap(text: str) -> str:
    """Prose for docstrings, wrapped at word boundaries."""
    return "\n".join(textwrap.fill(p, LINE_LENGTH) for p in text.split("\n"))
