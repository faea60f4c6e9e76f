"""Inlay hints: each node's parameters and GFLOPs at the end of its line, as `anet info` counts them.

Only for a file without errors, and only once its figures are counted (`costs.py`, shared with
hover): a request before that starts the count and gets no hints; editors ask again as the text
changes or scrolls into view.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import Network
from .costs import FigureCache, NetworkFigures
from .documents import document


def node_hints(
    network: Network, figures: NetworkFigures, first_line: int, last_line: int
) -> list[tuple[int, int, str]]:
    """(1-based line, column after the line's last attribute, label) for the nodes on lines
    `first_line`..`last_line`."""
    out = []
    for node in network.nodes:
        span = node.span
        if span is None or not first_line <= span.line <= last_line or node.id not in figures.nodes:
            continue
        own = figures.nodes[node.id]
        out.append((span.end_line, span.end_column, f"{own.parameters:,} params, {own.flops / 1e9:.3f} GFLOPs"))
    return out


def register(server: LanguageServer, figures: FigureCache) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
    def inlay_hints(ls: LanguageServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        doc = document(ls, params.text_document.uri)
        if doc.network is None:
            return []
        counted = figures.figures(doc.checked.source)
        if not isinstance(counted, NetworkFigures):
            return []
        first, last = params.range.start.line + 1, params.range.end.line + 1
        return [
            lsp.InlayHint(position=doc.position(line, column), label=label, padding_left=True)
            for line, column, label in node_hints(doc.network, counted, first, last)
        ]
