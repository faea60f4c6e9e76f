"""The words of the language as its grammar spells them, for rename's refusals and for completion.

Read from the loaded grammar (`grammars/anet.lark`), so a keyword or value added there is known here
without a second list: a string terminal (`block`, `classes`, `level=`) or a terminal that is a
choice of words (`ATTENTION_MODE: "none" | "self" | "peer"`).
"""

from __future__ import annotations

from functools import cache

from lark.lexer import PatternRE, PatternStr, TerminalDef

from ..dsl.grammar import parser


def _choices(terminal: TerminalDef) -> tuple[str, ...]:
    """The words a terminal matches when it is a word or a choice of words, else ()."""
    pattern = terminal.pattern
    if isinstance(pattern, PatternStr):
        return (pattern.value,) if pattern.value.isidentifier() else ()
    if isinstance(pattern, PatternRE) and pattern.value.startswith("(?:") and pattern.value.endswith(")"):
        choices = tuple(pattern.value[3:-1].split("|"))
        return choices if all(c.isidentifier() for c in choices) else ()
    return ()


@cache
def words_of(terminal: str) -> tuple[str, ...]:
    """The words of one terminal (`CLIP_KEY` -> frames, size), in the grammar's order."""
    return _choices(parser().get_terminal(terminal))


@cache
def keywords() -> frozenset[str]:
    """Every word the grammar spells: statement and header keywords, settings' keys and values."""
    return frozenset(word for terminal in parser().terminals for word in _choices(terminal))
