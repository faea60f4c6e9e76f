"""Node ids as an editor navigates them: go to definition, find references, rename.

A node id occurs where the node is defined (`block 12 ...`), where a block reads it (`in=[12@0.5]`)
and where a block lists it as a peer (`peers=[12]`); raw inputs (`in=[rgb]`) are not nodes. The
functions below work on the network as far as it could be read (`Checked.parsed`), so a file with
errors is still navigated; an id on a line with a syntax error is not seen until the line parses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from lsprotocol import types as lsp
from pydantic import TypeAdapter, ValidationError
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from ..dsl import Block, Network, Span, Stem
from ..dsl.ast import RESERVED_IDS
from ..dsl.values import NodeId
from .documents import Document, document
from .vocabulary import keywords

Role = Literal["definition", "input", "peer"]


@dataclass(frozen=True)
class Occurrence:
    """One place a node id is written; `owner` is the node on whose line it stands."""

    node_id: str
    span: Span
    role: Role
    owner: str


def _written_on(node: Stem | Block) -> Iterator[Occurrence]:
    """The ids written on a node's line: its own, then its inputs', then its peers'."""
    yield Occurrence(node.id, node.attr_spans["id"], "definition", node.id)
    if isinstance(node, Block):
        yield from (Occurrence(e.source, e.span, "input", node.id) for e in node.inputs if e.span is not None)
        yield from (Occurrence(p.source, p.span, "peer", node.id) for p in node.peers or () if p.span is not None)


def occurrences(network: Network) -> list[Occurrence]:
    """Every node id written in the file, in file order."""
    return [o for node in network.nodes for o in _written_on(node)]


def _contains(span: Span, line: int, column: int) -> bool:
    """A cursor touching a word counts, at its end too (where editors leave it after typing it)."""
    return span.line == line and span.column <= column <= span.end_column


def occurrence_at(network: Network, line: int, column: int) -> Occurrence | None:
    """The node id under a 1-based position, or None (a keyword, a number, a raw input, a space)."""
    on_line = (n for n in network.nodes if n.span is not None and n.span.line == line)
    touching = [o for node in on_line for o in _written_on(node) if _contains(o.span, line, column)]
    # `in=[4,5]` with the cursor after `4` touches 4's end only; a cursor inside a word wins.
    inside = [o for o in touching if o.span.column <= column < o.span.end_column]
    return (inside or touching or [None])[0]


def definition(network: Network, node_id: str) -> Occurrence | None:
    """Where the node is defined (the first definition when an id is used twice, E130)."""
    return next((o for o in occurrences(network) if o.role == "definition" and o.node_id == node_id), None)


def references(network: Network, node_id: str, *, include_definition: bool = True) -> list[Occurrence]:
    return [o for o in occurrences(network) if o.node_id == node_id and (include_definition or o.role != "definition")]


_NODE_ID = TypeAdapter(NodeId)


def rename_refusal(network: Network, old: str, new: str) -> str | None:
    """Why `old` cannot become `new`, or None when it can."""
    try:
        _NODE_ID.validate_python(new)
    except ValidationError:
        return (
            f"'{new}' is not a node id: a name (a letter or _, then letters, digits or _; 64 characters at "
            "most) or a number of at most 9 digits"
        )
    if new in RESERVED_IDS:
        return f"'{new}' names a raw input; a node id is none of {', '.join(sorted(RESERVED_IDS))}"
    if new in keywords():
        # The grammar reads `block block ...`, but a file written so is hard to read.
        return f"'{new}' is a keyword of the language; choose another id"
    if new != old and any(n.id == new for n in network.nodes):
        line = definition(network, new)
        where = f" (line {line.span.line})" if line is not None else ""
        return f"node {new} exists already{where}; renaming {old} to it would merge two nodes"
    return None


def rename_spans(network: Network, old: str) -> list[Span]:
    """Every place `old` is written: its definition, the inputs and the peers that name it."""
    return [o.span for o in references(network, old)]


# --- the server's handlers -------------------------------------------------------------------


def _under_cursor(ls: LanguageServer, uri: str, position: lsp.Position) -> tuple[Document, Network, Occurrence] | None:
    doc = document(ls, uri)
    network = doc.parsed
    if network is None:
        return None
    line, column = doc.at(position)
    found = occurrence_at(network, line, column)
    return None if found is None else (doc, network, found)


def _locations(doc: Document, found: list[Occurrence]) -> list[lsp.Location]:
    return [lsp.Location(uri=doc.uri, range=doc.range(o.span)) for o in found]


def register(server: LanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def goto_definition(ls: LanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        hit = _under_cursor(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        doc, network, found = hit
        target = definition(network, found.node_id)
        return None if target is None else _locations(doc, [target])

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def find_references(ls: LanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        hit = _under_cursor(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        doc, network, found = hit
        include = params.context.include_declaration
        return _locations(doc, references(network, found.node_id, include_definition=include))

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: LanguageServer, params: lsp.PrepareRenameParams) -> lsp.PrepareRenamePlaceholder | None:
        hit = _under_cursor(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        doc, _, found = hit
        return lsp.PrepareRenamePlaceholder(range=doc.range(found.span), placeholder=found.node_id)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename(ls: LanguageServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        hit = _under_cursor(ls, params.text_document.uri, params.position)
        if hit is None:
            return None
        doc, network, found = hit
        refusal = rename_refusal(network, found.node_id, params.new_name)
        if refusal is not None:
            raise JsonRpcException(refusal, code=lsp.LSPErrorCodes.RequestFailed)
        edits = [
            lsp.TextEdit(range=doc.range(s), new_text=params.new_name) for s in rename_spans(network, found.node_id)
        ]
        return lsp.WorkspaceEdit(changes={doc.uri: edits})
