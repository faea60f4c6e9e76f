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

from ..dsl import Block, Network, Stem
from ..dsl.diagnostics import Diagnostic, Severity, Span
from .documents import Document

SOURCE = "anet"

_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning}


def to_lsp(diagnostic: Diagnostic, document: Document) -> lsp.Diagnostic:
    message = diagnostic.message if diagnostic.hint is None else f"{diagnostic.message}\nhint: {diagnostic.hint}"
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=document.uri, range=document.range(span)), message=what
        )
        for span, what in _related(diagnostic, document.parsed)
    ]
    return lsp.Diagnostic(
        range=document.range(diagnostic.span),
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
    )


def _related(diagnostic: Diagnostic, network: Network | None) -> Iterator[tuple[Span, str]]:
    if network is None or diagnostic.span is None:
        return
    if diagnostic.code == "E130":
        node = _node_at(network, diagnostic.span, "id")
        first = next((n for n in network.nodes if node is not None and n.id == node.id), None)
        if first is not None and first is not node and first.span is not None:
            yield _id_span(first), f"node {first.id} is first defined here"
    elif diagnostic.code == "E132":
        source = _source_at(network, diagnostic.span)
        later = next((n for n in network.nodes if n.id == source), None)
        if later is not None and later.span is not None:
            yield _id_span(later), f"node {later.id} is written here"
    elif diagnostic.code == "E150":
        node = _node_at(network, diagnostic.span, "channels")
        if node is not None:
            for member in network.budget_nodes(node.level):
                yield (
                    member.attr_spans.get("channels") or _id_span(member),
                    f"node {member.id} counts {member.budget_channels}",
                )


def _id_span(node: Stem | Block) -> Span:
    return node.attr_spans.get("id") or node.span  # type: ignore[return-value]


def _node_at(network: Network, span: Span, key: str) -> Stem | Block | None:
    """The node whose `key` attribute (or whole line) is `span`."""
    return next((n for n in network.nodes if (n.attr_spans.get(key) or n.span) == span), None)


def _source_at(network: Network, span: Span) -> str | None:
    """The node id an input or peer written at `span` names."""
    for block in network.blocks:
        for edge in (*block.inputs, *(block.peers or ())):
            if edge.span == span:
                return edge.source
    return None
