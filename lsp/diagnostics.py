"""anet's diagnostics as LSP diagnostics: the same codes, messages, severities and places as
`anet check`, placed in the client's position units by the document.

A diagnostic carries one place; where a problem involves other nodes, the editor is told where they
are (LSP's related information). `Diagnostic` says so only in its prose, so the places are found
again in the network as read: the first node of a reused id (E130), the node an input names that
is written later (E132), the nodes whose C fills a level's budget (E150). Problems of the header
(E102: a setting given twice) have no spans to point at and get none.
"""

from __future__ import annotations

from collections.abc import Iterator

from lsprotocol import types as lsp

from ..dsl import Block, Edge, Network, Stem
from ..dsl.ast import Peer
from ..dsl.diagnostics import Diagnostic, Severity, Span
from .documents import Document

SOURCE = "anet"

_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning}


def to_lsp(diagnostic: Diagnostic, document: Document, places: Places | None = None) -> lsp.Diagnostic:
    """One diagnostic; pass `places` (of `document.parsed`) when converting many."""
    message = diagnostic.message if diagnostic.hint is None else f"{diagnostic.message}\nhint: {diagnostic.hint}"
    if places is None and document.parsed is not None:
        places = Places(document.parsed)
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=document.uri, range=document.range(span)), message=what
        )
        for span, what in (places.related(diagnostic) if places is not None else ())
    ]
    return lsp.Diagnostic(
        range=document.range(diagnostic.span),
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
    )


def all_to_lsp(document: Document) -> list[lsp.Diagnostic]:
    """Every diagnostic of the document, as `anet check` orders them."""
    places = Places(document.parsed) if document.parsed is not None else None
    return [to_lsp(d, document, places) for d in document.checked.diagnostics]


class Places:
    """Where the nodes and edges of a network are, looked up by span in constant time: a file of
    10,000 nodes may have as many problems."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.first: dict[str, Stem | Block] = {}
        self.at: dict[Span | None, Stem | Block] = {}
        self.channels_at: dict[Span | None, Stem | Block] = {}
        self.edge_at: dict[Span | None, Edge | Peer] = {}
        self.peers_at: dict[Span | None, Block] = {}  # by the span of `peers=[...]`
        for node in network.nodes:
            self.first.setdefault(node.id, node)
            self.at[_id_span(node)] = node
            self.channels_at[node.attr_spans.get("channels") or node.span] = node
        for block in network.blocks:
            for edge in (*block.inputs, *(block.peers or ())):
                self.edge_at[edge.span] = edge
            if "peers" in block.attr_spans:
                self.peers_at[block.attr_spans["peers"]] = block

    def related(self, diagnostic: Diagnostic) -> Iterator[tuple[Span, str]]:
        span = diagnostic.span
        if span is None:
            return
        if diagnostic.code == "E130":
            node = self.at.get(span)
            first = self.first.get(node.id) if node is not None else None
            if first is not None and first is not node:
                yield _id_span(first), f"node {first.id} is first defined here"
        elif diagnostic.code == "E132":
            edge = self.edge_at.get(span)
            later = self.first.get(edge.source) if edge is not None else None
            if later is not None:
                yield _id_span(later), f"node {later.id} is written here"
        elif diagnostic.code == "E150":
            node = self.channels_at.get(span)
            for member in self.network.budget_nodes(node.level) if node is not None else ():
                where = member.attr_spans.get("channels") or _id_span(member)
                yield where, f"node {member.id} counts {member.budget_channels}"


def _id_span(node: Stem | Block) -> Span:
    return node.attr_spans.get("id") or node.span  # type: ignore[return-value]
