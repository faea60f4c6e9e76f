"""Formatting is `anet fmt`: the canonical text of the document's network, comments kept.

As `anet fmt` does, a document with errors is left as it is (the user is told why), and so is one
whose canonical text would not read back as the same network (an anet bug, said as such). The
change is sent as edits of the lines that differ, not one replacement of the whole text, so that
the editor keeps the cursor, folds and marks elsewhere; a range formatting request applies the
edits that touch the range's lines.
"""

from __future__ import annotations

import difflib
import re

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import check_text
from .documents import Document, document

_LINE = re.compile(r"[^\n]*\n|[^\n]+$")  # the language's lines (only "\n" ends one), ends kept


def canonical(doc: Document) -> str | None:
    """`anet fmt`'s output for the document, or None when it would leave the file alone."""
    from ..dsl.printer import format_network  # numpy: loaded on the first formatting, not at start

    network = doc.network
    if network is None:
        return None
    text = format_network(network)
    return text if check_text(text, doc.uri).network == network else None


def edits(doc: Document, text: str, lines: range | None = None) -> list[lsp.TextEdit]:
    """Line edits that turn the document into `text`; with `lines` (0-based), only those touching them."""
    old, new = _LINE.findall(doc.text), _LINE.findall(text)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal" or (lines is not None and not _touches(i1, i2, lines)):
            continue
        span = lsp.Range(start=_line_start(doc, old, i1), end=_line_start(doc, old, i2))
        out.append(lsp.TextEdit(range=span, new_text="".join(new[j1:j2])))
    return out


def _touches(i1: int, i2: int, lines: range) -> bool:
    """Whether old lines [i1, i2) meet `lines`; an insertion (i1 == i2) touches the line it goes before."""
    return i1 <= lines.stop - 1 and max(i2, i1 + 1) > lines.start


def _line_start(doc: Document, old: list[str], index: int) -> lsp.Position:
    if index < len(old) and (index == 0 or old[index - 1].endswith("\n")):
        return lsp.Position(line=index, character=0)
    return doc.end()  # after the last line, which has no newline (or past all lines)


def _refuse(ls: LanguageServer, doc: Document) -> None:
    errors = sum(d.is_error for d in doc.checked.diagnostics)
    why = (
        f"{errors} error{'s' * (errors != 1)} to fix first"
        if errors
        else "its canonical form does not read back as the same network (an anet bug; please report it)"
    )
    ls.window_show_message(
        lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"anet fmt: not formatted: {why}")
    )


def format_document(ls: LanguageServer, uri: str, lines: range | None = None) -> list[lsp.TextEdit]:
    doc = document(ls, uri)
    text = canonical(doc)
    if text is None:
        _refuse(ls, doc)
        return []
    return edits(doc, text, lines)


def register(server: LanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: LanguageServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        return format_document(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
    def range_formatting(ls: LanguageServer, params: lsp.DocumentRangeFormattingParams) -> list[lsp.TextEdit]:
        start, end = params.range.start, params.range.end
        last = (
            end.line if end.character > 0 or end.line == start.line else end.line - 1
        )  # a range ending at a line's start
        return format_document(ls, params.text_document.uri, range(start.line, last + 1))
