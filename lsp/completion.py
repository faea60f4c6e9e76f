"""Completion: what may be written at the cursor, read from the line as typed so far.

The line being typed rarely parses, so the place is told from its text up to the cursor: the start
of a statement (header keywords before the first node, `stem` and `block`), an attribute after a
node's id, the value of an attribute or header setting with a fixed set of values, or a node id in
`in=[...]` / `peers=[...]`. Node ids come from the rest of the file as far as it parses
(`Checked.parsed`), filtered by the level rule: a block reads, and is gated by, nodes written above
it on a strictly lower level than its `level=`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import Network
from ..dsl.header import HEADER_FIELDS, HEADER_KEYWORDS, Header
from ..paper import DEPTH_REPEATS, DILATIONS, LEVELS, RAW_INPUTS, STRIDES
from .documents import document
from .vocabulary import words_of

Kind = Literal["keyword", "setting", "attribute", "value", "node"]

_KINDS: dict[Kind, lsp.CompletionItemKind] = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "setting": lsp.CompletionItemKind.Property,
    "attribute": lsp.CompletionItemKind.Field,
    "value": lsp.CompletionItemKind.EnumMember,
    "node": lsp.CompletionItemKind.Reference,
}


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: Kind
    detail: str = ""


@dataclass(frozen=True)
class Completions:
    """What fits at the cursor; each replaces the word typed so far, from 1-based `start` column."""

    suggestions: tuple[Suggestion, ...]
    start: int


# Node attributes in the order a line usually gives them (`anet fmt`'s order).
_ATTRIBUTES = {
    "stem": ("in=[", "C=", "r="),
    "block": ("level=", "in=[", "C=", "r=", "stride=", "attention=", "peers=["),
}
_NODE_VALUES: dict[str, tuple[object, ...]] = {
    "level=": LEVELS,
    "r=": DILATIONS,
    "stride=": STRIDES,
    "attention=": words_of("ATTENTION_MODE"),
}
_STATEMENTS = ("stem", "block")
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_]*$")


def _header_values(keyword: str) -> tuple[object, ...]:
    """The values of a one-value header setting with a fixed set of them (`pool avg|max`)."""
    if keyword == "depth":
        return tuple(DEPTH_REPEATS)
    field = Header.model_fields.get(keyword)
    if field is None:
        return ()
    return typing.get_args(field.annotation) if typing.get_origin(field.annotation) is Literal else ()


def _node_lines_above(lines: Sequence[str], row: int) -> bool:
    return any(line.split()[:1] in (["stem"], ["block"]) for line in lines[:row])


def _statement_start(lines: Sequence[str], row: int) -> list[Suggestion]:
    if _node_lines_above(lines, row):
        return [Suggestion(s, "keyword", "a node line") for s in _STATEMENTS]
    written = {line.split()[0] for line in lines if line.split()}
    out = [] if "network" in written else [Suggestion("network", "keyword", "the first line: network NAME")]
    out += [Suggestion(f.keyword, "setting", "header setting") for f in HEADER_FIELDS if f.keyword not in written]
    return out + [Suggestion(s, "keyword", "a node line") for s in _STATEMENTS]


def _node_ids(network: Network | None, row: int, below_level: int | None, listed: set[str]) -> list[Suggestion]:
    """Nodes written above line `row` (0-based), on a level below `below_level` when known."""
    if network is None:
        return []
    out = []
    for node in network.nodes:
        if node.span is None or node.span.line > row or node.id in listed:
            continue
        if below_level is not None and not node.level < below_level:
            continue
        kind = f"{node.modality} stem" if node.kind == "stem" else f"level {node.level} block"
        out.append(Suggestion(node.id, "node", f"{kind}, C={node.channels}"))
    return out


def _in_list(before: str) -> tuple[str, set[str]] | None:
    """(`in=[` or `peers=[`, the ids listed so far) when the cursor is inside such a list."""
    opened = max(before.rfind("in=["), before.rfind("peers=["))
    if opened < 0 or "]" in before[opened:]:
        return None
    key = "peers=[" if before.startswith("peers=[", opened) else "in=["
    listed = before[opened + len(key) :].split(",")[:-1]
    return key, {item.split("@")[0].strip() for item in listed}


def _node_line(kind: str, before: str, line: str, network: Network | None, row: int) -> list[Suggestion]:
    inside = _in_list(before)
    if inside is not None:
        key, listed = inside
        if kind == "stem":
            return [Suggestion(r, "value", "raw input") for r in RAW_INPUTS if key == "in=["]
        level = re.search(r"\blevel=(\d+)", line)
        return _node_ids(network, row, int(level.group(1)) if level else None, listed)
    value = re.search(r"(\w+=)\w*$", before)
    if value is not None:
        return [Suggestion(str(v), "value") for v in _NODE_VALUES.get(value.group(1), ())]
    if len(before.split()) < 2 or (len(before.split()) == 2 and not before[-1].isspace()):
        return []  # the node's id comes first
    given = set(re.findall(r"\b\w+=\[?", line))
    return [Suggestion(a, "attribute") for a in _ATTRIBUTES[kind] if a not in given]


def _header_line(keyword: str, before: str) -> list[Suggestion]:
    field = HEADER_KEYWORDS[keyword]
    if field.form == "settings":
        if re.search(r"=\S*$", before):
            return []
        keys = words_of(f"{keyword.upper()}_KEY")
        given = set(re.findall(r"(\w+)=", before))
        return [Suggestion(f"{k}=", "setting", f"{keyword} setting") for k in keys if k not in given]
    if len(before.split()) > 2 or (len(before.split()) == 2 and before[-1].isspace()):
        return []  # one value, given already
    return [Suggestion(str(v), "value", f"{keyword} value") for v in _header_values(keyword)]


def complete(lines: Sequence[str], network: Network | None, line: int, column: int) -> Completions:
    """What may be written at a 1-based (line, column) of a file of `lines`; `network` is the file
    as far as it parses (None: no node ids are offered)."""
    row = line - 1
    text = lines[row] if row < len(lines) else ""
    before = text[: column - 1]
    start = column - len(_WORD_BEFORE.search(before).group())  # type: ignore[union-attr]
    words = before.split()
    if "#" in before:
        suggestions: list[Suggestion] = []
    elif not words or (len(words) == 1 and not before[-1].isspace()):
        suggestions = _statement_start(lines, row)
    elif words[0] in _ATTRIBUTES:
        suggestions = _node_line(words[0], before, text, network, row)
    elif words[0] in HEADER_KEYWORDS:
        suggestions = _header_line(words[0], before)
    else:
        suggestions = []
    return Completions(tuple(suggestions), start)


# --- the server's handler --------------------------------------------------------------------

TRIGGERS = ["=", "[", ",", " "]


def register(server: LanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=TRIGGERS))
    def completion(ls: LanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        doc = document(ls, params.text_document.uri)
        line, column = doc.at(params.position)
        found = complete(doc.lines, doc.parsed, line, column)
        replaced = lsp.Range(start=doc.position(line, found.start), end=params.position)
        items = [
            lsp.CompletionItem(
                label=s.label,
                kind=_KINDS[s.kind],
                detail=s.detail or None,
                sort_text=f"{index:04d}",
                text_edit=lsp.TextEdit(range=replaced, new_text=s.label),
            )
            for index, s in enumerate(found.suggestions)
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)
