"""One parse per document version, shared by every feature of the server.

An editor asks for diagnostics, symbols, hover and code actions on the same text within a few
milliseconds; each handler calls `document(ls, uri)` (or `checked(ls, uri)`) and gets the one
`check_text` result for the version the editor holds now, computed on first use:

    from .documents import document

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls, params):
        doc = document(ls, params.text_document.uri)
        line, column = doc.at(params.position)        # 1-based, as the language's spans count
        if doc.network is None: ...                   # the file has errors
        return lsp.Hover(contents=..., range=doc.range(node.attr_spans["id"]))

Positions cross here, once: the language counts 1-based lines and columns in code points, with
only "\\n" ending a line; LSP counts 0-based positions in the client's encoding (UTF-16 unless
negotiated). `Document.range` and `Document.at` convert between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import Workspace
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from ..dsl import Checked, Network, check_text
from ..dsl.diagnostics import Span, source_lines


@dataclass(frozen=True)
class Document:
    """A document's text at one version and what `anet check` says about it."""

    uri: str
    version: int | None
    text: str
    checked: Checked
    codec: PositionCodec = field(repr=False)
    lines: tuple[str, ...] = field(repr=False)

    @property
    def network(self) -> Network | None:
        """The validated network; None when the file has errors (see `checked.diagnostics`)."""
        return self.checked.network

    @property
    def parsed(self) -> Network | None:
        """The network as far as it could be read, errors and all: for outlines and navigation
        while the file is wrong; None without a usable header. Never format or compile it."""
        return self.checked.parsed

    def position(self, line: int, column: int) -> lsp.Position:
        """A 1-based (line, column) of the language as an LSP position in the client's units."""
        row = max(line - 1, 0)
        if row >= len(self.lines):
            return lsp.Position(line=row, character=0)
        return self.codec.position_to_client_units(self.lines, ServerTextPosition(row, max(column - 1, 0)))

    def range(self, span: Span | None) -> lsp.Range:
        """A span as an LSP range; no span (a problem of the whole file) is the file's start."""
        if span is None:
            return lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
        return lsp.Range(start=self.position(span.line, span.column), end=self.position(span.end_line, span.end_column))

    def at(self, position: lsp.Position) -> tuple[int, int]:
        """An editor position as the language's 1-based (line, column), to compare with spans."""
        if position.line >= len(self.lines):
            return position.line + 1, 1
        line = self.lines[position.line]
        if position.character >= self.codec.client_num_units(line):  # past the end: pygls would step back one
            return position.line + 1, len(line) + 1
        server = self.codec.position_from_client_units(self.lines, position)
        return position.line + 1, server.character + 1

    def end(self) -> lsp.Position:
        """The position after the last character: the end of a whole-document edit."""
        if not self.text:
            return lsp.Position(line=0, character=0)
        last = self.text.split("\n")[-1]
        return lsp.Position(line=self.text.count("\n"), character=self.codec.client_num_units(last))


_CACHE: WeakKeyDictionary[Workspace, dict[str, Document]] = WeakKeyDictionary()


def _workspace(owner: LanguageServer | Workspace) -> Workspace:
    return owner if isinstance(owner, Workspace) else owner.workspace


def _text(workspace: Workspace, uri: str) -> tuple[str, int | None]:
    """The editor's text; a document the editor has not opened is read from disk, or is empty."""
    source = workspace.get_text_document(uri)
    try:
        return source.source, source.version
    except (OSError, UnicodeDecodeError):
        return "", source.version


def document(owner: LanguageServer | Workspace, uri: str) -> Document:
    """The document as the editor holds it now, checked once per version."""
    workspace = _workspace(owner)
    text, version = _text(workspace, uri)
    store = _CACHE.setdefault(workspace, {})
    cached = store.get(uri)
    if cached is not None and cached.version == version and cached.text == text:
        return cached
    checked = check_text(text, workspace.get_text_document(uri).path or uri)
    codec = PositionCodec(workspace.position_encoding or lsp.PositionEncodingKind.Utf16)
    fresh = Document(uri, version, text, checked, codec, tuple(source_lines(checked.source)))
    store[uri] = fresh
    return fresh


def checked(owner: LanguageServer | Workspace, uri: str) -> Checked:
    """`anet check`'s result for the document as the editor holds it now."""
    return document(owner, uri).checked


def forget(owner: LanguageServer | Workspace, uri: str) -> None:
    """Drop a closed document's parse."""
    _CACHE.get(_workspace(owner), {}).pop(uri, None)
