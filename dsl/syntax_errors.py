"""Lark's parse errors as located diagnostics, with "did you mean" for misspelled keywords.

The grammar's keywords are its string terminals, so the vocabulary for suggestions comes from the
grammar itself: whatever the parser expected at the failing position, spelled out.
"""

from __future__ import annotations

import difflib
import re

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from .diagnostics import Diagnostic, Span, error

# Terminals that are not keywords, described for people.
_DESCRIPTIONS = {
    "ID": "a node id",
    "NAME": "a name",
    "SIGNED_INT": "a whole number",
    "SIGNED_NUMBER": "a number",
    "STRING": 'a "quoted" path',
    "HASH": "a hexadecimal hash",
    "_NL": "the end of the line",
    "COMMENT": "a # comment",
}


def _spellings(grammar: Lark, terminal: str) -> list[str]:
    """The literal words a terminal accepts: `"stem"` -> [stem]; `POOL: "avg" | "max"` -> [avg, max]."""
    try:
        pattern = grammar.get_terminal(terminal).pattern
    except KeyError:
        return []
    if isinstance(pattern, PatternStr):
        return [pattern.value]
    alternatives = re.fullmatch(r"\(\?:([A-Za-z0-9_|]+)\)", pattern.value)
    return alternatives.group(1).split("|") if alternatives else []


def _expected(grammar: Lark, terminals: set[str]) -> tuple[list[str], list[str]]:
    words: set[str] = set()
    kinds: set[str] = set()
    for name in terminals:
        spelled = _spellings(grammar, name)
        if spelled and name not in _DESCRIPTIONS:
            words.update(spelled)
        elif name in _DESCRIPTIONS and name != "COMMENT":
            kinds.add(_DESCRIPTIONS[name])
    return sorted(words), sorted(kinds)


def _hint(found: str, words: list[str], kinds: list[str]) -> str | None:
    close = difflib.get_close_matches(found, words, n=1, cutoff=0.6) if found.strip() else []
    if close:
        return f"did you mean '{close[0]}'?"
    options = [f"'{w}'" for w in words if len(w) > 1] + kinds
    if not options:
        return None
    if len(options) > 8:
        options = [*options[:8], "..."]
    return "expected " + ", ".join(options)


def syntax_diagnostic(grammar: Lark, exc: UnexpectedInput) -> Diagnostic:
    """One diagnostic for one Lark error."""
    line = exc.line if exc.line and exc.line > 0 else 1
    column = exc.column or 1
    if isinstance(exc, UnexpectedToken):
        found = str(exc.token)
        words, kinds = _expected(grammar, set(exc.expected))
        if exc.token.type == "$END" or found in ("", "\n"):
            message, width = "the line ends too early", 1
        else:
            message, width = f"unexpected '{found}'", len(found)
    elif isinstance(exc, UnexpectedCharacters):
        found = exc.char
        words, kinds = _expected(grammar, set(exc.allowed or ()))
        message, width = f"unexpected character '{found}'", 1
    else:  # UnexpectedEOF: the builder always ends the text with a newline, so this is rare.
        return error(
            "E100", "the file ends in the middle of a statement", Span(line=line, column=1, end_line=line, end_column=2)
        )
    span = Span(line=line, column=column, end_line=line, end_column=column + max(width, 1))
    return error("E100", message, span, _hint(found, words, kinds))
