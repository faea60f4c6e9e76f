"""Quick fixes for the problems whose fix is mechanical: the validator's "did you mean 'X'?" (a
misspelled keyword, setting, mutation, raw input or node id: E100, E103, E131, E134), a weight on a
single input (E160), an input or peer listed twice (E137), peers listed where they do not apply
(E163) and a stale hash (W170, as `anet fmt --rehash`).

The fixes are computed from the document's own diagnostics at the requested range, not from the
ones the client sends back, so they always match the text they edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import architecture_hash
from ..dsl.diagnostics import Diagnostic, Span
from .diagnostics import Places, to_lsp
from .documents import Document, document

_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")
_HASH_LINE = re.compile(r"^(\s*hash\s+)([0-9a-f]+)")


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[lsp.TextEdit, ...]
    preferred: bool = False


def _text(doc: Document, span: Span) -> str:
    return doc.lines[span.line - 1][span.column - 1 : span.end_column - 1] if span.line <= len(doc.lines) else ""


def _edit(doc: Document, line: int, column: int, end_column: int, new_text: str = "") -> lsp.TextEdit:
    return lsp.TextEdit(range=doc.range(Span(line, column, line, end_column)), new_text=new_text)


def _suggestion(doc: Document, d: Diagnostic, span: Span) -> Iterator[Fix]:
    match = _DID_YOU_MEAN.search(d.hint or "")
    if match is not None and span.line == span.end_line:
        found, wanted = _text(doc, span), match.group(1)
        yield Fix(
            f"Replace '{found}' with '{wanted}'", (_edit(doc, span.line, span.column, span.end_column, wanted),), True
        )


def _weight_removal(doc: Document, d: Diagnostic, span: Span, places: Places) -> Iterator[Fix]:
    """E160: the `@weight` of a single input, the `@` and any spaces around it included."""
    if d.code != "E160" or span.line > len(doc.lines):
        return
    line = doc.lines[span.line - 1]
    start = span.column - 1
    while start > 0 and line[start - 1] in " \t@":
        start -= 1
    yield Fix(f"Remove the weight @{_text(doc, span)}", (_edit(doc, span.line, start + 1, span.end_column),), True)


def _repeat_removal(doc: Document, d: Diagnostic, span: Span, places: Places) -> Iterator[Fix]:
    """E137: the repeated entry and the comma before it (a repeat is never first in its list)."""
    edge = places.edge_at.get(span) if d.code == "E137" else None
    if edge is None or span.line > len(doc.lines):
        return
    end = edge.weight_span or span
    start = doc.lines[span.line - 1].rfind(",", 0, span.column - 1)
    if start >= 0:
        yield Fix(f"Remove the repeated {edge.source}", (_edit(doc, span.line, start + 1, end.end_column),), True)


def _peers_removal(doc: Document, d: Diagnostic, span: Span, places: Places) -> Iterator[Fix]:
    """E163: `peers=[...]` written where the block has no peer attention, or empty."""
    if d.code != "E163" or span not in places.peers_at or span.line != span.end_line:
        return
    start = len(doc.lines[span.line - 1][: span.column - 1].rstrip(" \t")) + 1
    yield Fix("Remove peers=[...]", (_edit(doc, span.line, start, span.end_column),))


def _rehash(doc: Document, d: Diagnostic, span: Span, places: Places) -> Iterator[Fix]:
    """W170: the written hash replaced by the architecture's, as `anet fmt --rehash` does."""
    if d.code != "W170":
        return
    computed = architecture_hash(places.network)
    for number, line in enumerate(doc.lines, start=1):
        match = _HASH_LINE.match(line)
        if match is not None:
            edit = _edit(doc, number, match.end(1) + 1, match.end(2) + 1, computed)
            yield Fix(f"Update the hash to {computed}", (edit,), True)
            return


_FIXERS = (_weight_removal, _repeat_removal, _peers_removal, _rehash)


def fixes(doc: Document, d: Diagnostic, places: Places | None = None) -> list[Fix]:
    """Every mechanical fix of one diagnostic of the document; pass `places` (of `doc.parsed`) when
    asking about many."""
    if d.span is None:
        return []
    found = list(_suggestion(doc, d, d.span))
    if places is None and doc.parsed is not None:
        places = Places(doc.parsed)
    if places is not None:
        for fixer in _FIXERS:
            found += fixer(doc, d, d.span, places)
    return found


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def code_actions(ls: LanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    only = params.context.only
    if only and not any(lsp.CodeActionKind.QuickFix.value.startswith(kind) for kind in only):
        return []
    doc = document(ls, params.text_document.uri)
    places = Places(doc.parsed) if doc.parsed is not None else None
    actions = []
    for d in doc.checked.diagnostics:
        asked = params.range
        if d.span is None or not (d.span.line - 1 <= asked.end.line and asked.start.line < d.span.end_line):
            continue  # not on the requested lines: the exact test below converts positions, this does not
        found = fixes(doc, d, places) if _overlaps(doc.range(d.span), params.range) else []
        if not found:
            continue
        shown = to_lsp(d, doc, places)
        for fix in found:
            actions.append(
                lsp.CodeAction(
                    title=fix.title,
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[shown],
                    edit=lsp.WorkspaceEdit(changes={doc.uri: list(fix.edits)}),
                    is_preferred=fix.preferred or None,
                )
            )
    return actions


def register(server: LanguageServer) -> None:
    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )
    def actions(ls: LanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return code_actions(ls, params)
