"""Deterministic layout of the Python expressions the compiler writes: one line when it fits in
88 columns, otherwise one argument per line with a trailing comma (the layout `ruff format`
keeps), nested lists exploded the same way. Doing this here keeps the templates to loops and
makes the output independent of whatever formatter a user has installed."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

LINE_LENGTH = 88
INDENT = "    "


@dataclass(frozen=True)
class PyList:
    """A list literal whose items are already Python expressions."""

    items: tuple[str, ...]

    def flat(self) -> str:
        return "[" + ", ".join(self.items) + "]"


Arg = str | PyList


def _flat(arg: Arg) -> str:
    return arg.flat() if isinstance(arg, PyList) else arg


def _exploded_arg(name: str | None, arg: Arg, indent: str) -> list[str]:
    prefix = f"{indent}{name}=" if name else indent
    if not isinstance(arg, PyList) or len(prefix) + len(arg.flat()) + 1 <= LINE_LENGTH:
        return [f"{prefix}{_flat(arg)},"]
    inner = indent + INDENT
    return [f"{prefix}[", *(f"{inner}{item}," for item in arg.items), f"{indent}],"]


def call(head: str, args: Sequence[tuple[str | None, Arg]], indent: str) -> list[str]:
    """`head(args)` as lines; `head` includes any assignment, e.g. `self.node_8 = rt.Block`."""
    flat = ", ".join(f"{n}={_flat(a)}" if n else _flat(a) for n, a in args)
    one = f"{indent}{head}({flat})"
    if len(one) <= LINE_LENGTH:
        return [one]
    lines = [f"{indent}{head}("]
    for name, arg in args:
        lines += _exploded_arg(name, arg, indent + INDENT)
    return [*lines, f"{indent})"]


def signature(head: str, params: Sequence[str], returns: str, indent: str) -> list[str]:
    """`def head(params) -> returns:` on one line, or one parameter per line with a trailing comma."""
    one = f"{indent}def {head}({', '.join(params)}) -> {returns}:"
    if len(one) <= LINE_LENGTH:
        return [one]
    inner = indent + INDENT
    return [f"{indent}def {head}(", *(f"{inner}{p}," for p in params), f"{indent}) -> {returns}:"]


def wrap(text: str, width: int = LINE_LENGTH) -> str:
    """Prose for docstrings, wrapped at word boundaries."""
    return "\n".join(textwrap.fill(p, width) for p in text.split("\n"))
