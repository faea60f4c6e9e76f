"""The outline: the network, its levels (0 = stems) and their nodes, each node with its line, its id
as the name to jump to and its widths as the detail (`C=64 r=2 stride=2`).

It is drawn from the network as read (`Document.parsed`), so it stays while the file has graph
errors; lines with syntax errors are missing from it until they parse. A client that cannot nest
symbols gets the same nodes flat, each naming its level as its container.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import Block, Network, Stem
from .documents import Document, document

Symbols = list[lsp.DocumentSymbol] | list[lsp.SymbolInformation]


def detail(node: Stem | Block) -> str:
    if isinstance(node, Stem):
        return f"{node.modality} C={node.channels} r={node.r}"
    channels = "[" + ", ".join(map(str, node.filters)) + "]" if node.filters else str(node.channels)
    stride = f" stride={node.stride}" if node.stride != 1 else ""
    return f"C={channels} r={node.r}{stride}"


def level_name(level: int) -> str:
    return "level 0 (stems)" if level == 0 else f"level {level}"


def _node(doc: Document, node: Stem | Block) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=node.id,
        kind=lsp.SymbolKind.Class if isinstance(node, Block) else lsp.SymbolKind.Variable,
        range=doc.range(node.span),
        selection_range=doc.range(node.attr_spans.get("id") or node.span),
        detail=detail(node),
    )


def outline(doc: Document, network: Network) -> lsp.DocumentSymbol:
    """The network's symbol: it spans the document; its children are the levels that have nodes."""
    levels = []
    for level in range(5):
        nodes = [_node(doc, n) for n in network.nodes if n.level == level and n.span is not None]
        if nodes:
            start = min((s.range.start for s in nodes), key=lambda p: (p.line, p.character))
            end = max((s.range.end for s in nodes), key=lambda p: (p.line, p.character))
            span = lsp.Range(start=start, end=end)
            levels.append(
                lsp.DocumentSymbol(
                    name=level_name(level),
                    kind=lsp.SymbolKind.Namespace,
                    range=span,
                    selection_range=nodes[0].selection_range,
                    detail=f"{len(nodes)} node{'s' * (len(nodes) != 1)}",
                    children=nodes,
                )
            )
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=doc.end())
    header = doc.range(network.header.span) if network.header.span is not None else whole
    return lsp.DocumentSymbol(
        name=network.header.name,
        kind=lsp.SymbolKind.Module,
        range=whole,
        selection_range=header,
        detail=f"{len(network.stems)} stems, {len(network.blocks)} blocks",
        children=levels,
    )


def flat(doc: Document, root: lsp.DocumentSymbol) -> list[lsp.SymbolInformation]:
    """The outline for a client without nested symbols: every symbol with its container's name."""

    def info(symbol: lsp.DocumentSymbol, container: str | None) -> lsp.SymbolInformation:
        location = lsp.Location(uri=doc.uri, range=symbol.range)
        return lsp.SymbolInformation(name=symbol.name, kind=symbol.kind, location=location, container_name=container)

    out = [info(root, None)]
    for level in root.children or ():
        out += [info(level, root.name), *(info(node, level.name) for node in level.children or ())]
    return out


def _nested(ls: LanguageServer) -> bool:
    text = ls.client_capabilities.text_document
    symbols = text.document_symbol if text else None
    return bool(symbols and symbols.hierarchical_document_symbol_support)


def document_symbols(ls: LanguageServer, uri: str) -> Symbols:
    doc = document(ls, uri)
    if doc.parsed is None:
        return []
    root = outline(doc, doc.parsed)
    return [root] if _nested(ls) else flat(doc, root)


def register(server: LanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: LanguageServer, params: lsp.DocumentSymbolParams) -> Symbols:
        return document_symbols(ls, params.text_document.uri)
