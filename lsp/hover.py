"""Hover: what a node is and costs, or what a header setting means.

On a node id (its definition or any input or peer naming it): the node's kind, level, C, r, stride,
attention, its inputs with their connection weights and its peers, read from the file as written
(also while the file has errors); and, for a file without errors, its output shape at the header's
clip and the parameters and FLOPs of the node and of the model up to it, as `anet info` counts them
(`costs.py`: counted once per text in a worker; until then the hover says so). On a header keyword
(or a `key=` of its line): the keyword's row of the header table (`anet.dsl.header_help`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..dsl import Block, Edge, Network, Span, Stem
from ..dsl.ast import Peer
from ..dsl.header_help import SettingHelp, help_of
from .costs import FigureCache, NetworkFigures, Pending
from .documents import document
from .references import occurrence_at

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _written(lines: Sequence[str], span: Span) -> str:
    """A weight as the file writes it (float32's shortest form), not the float64 it reads as."""
    return lines[span.line - 1][span.column - 1 : span.end_column - 1]


def _edges(edges: Sequence[Edge | Peer], lines: Sequence[str], empty: str) -> str:
    if not edges:
        return empty
    return ", ".join(
        e.source if e.weight_span is None else f"{e.source} (weight {_written(lines, e.weight_span)})" for e in edges
    )


def _facts(network: Network, node: Stem | Block, lines: Sequence[str]) -> list[str]:
    """The node as written: first line, then one bullet per fact."""
    if isinstance(node, Stem):
        what = "segmentation classes" if node.modality == "object" else "channels"
        title = f"**stem {node.id}**: {node.modality} stem, level 0, C={node.channels} ({what}), r={node.r}"
        return [title]
    channels = node.channels
    c = f"C=[{', '.join(map(str, channels))}]" if isinstance(channels, tuple) else f"C={channels}"
    title = f"**block {node.id}**: level {node.level} block, {c}, r={node.r}, stride={node.stride}"
    mode = network.attention_of(node)
    whose = "the block's" if node.attention is not None else "the header's"
    out = [title, f"- attention: {mode} ({whose})", f"- inputs: {_edges(node.inputs, lines, 'none')}"]
    if mode == "peer":
        peers = network.peers_of(node)
        written = "" if node.peers is not None else ", every node of a lower level"
        out.append(f"- peers{written}: {_edges(peers, lines, 'none')}")
    return out


def _figures(node: Stem | Block, figures: NetworkFigures | str | Pending | None) -> list[str]:
    """Shape, parameters and FLOPs, or why they are not shown."""
    if figures is None:
        return ["- output shape, parameters and FLOPs: shown when the file has no errors"]
    if figures == "counting":
        return ["- output shape, parameters and FLOPs: being counted (`anet info`'s figures); hover again in a moment"]
    if isinstance(figures, str):
        return [f"- output shape, parameters and FLOPs: {figures}"]
    own = figures.nodes[node.id]
    parameters, flops = figures.so_far(node.id)
    shape = ", ".join(map(str, own.shape))
    return [
        f"- output [C, T, H, W] = [{shape}] for a clip of {figures.frames} frames of {figures.size}x{figures.size}",
        f"- this node (its fusion included): {own.parameters:,} parameters, {own.flops / 1e9:.3f} GFLOPs",
        f"- the model up to it (file order): {parameters:,} parameters, {flops / 1e9:.3f} GFLOPs",
        f"- the whole model (flow layer and head included): {figures.parameters:,} parameters, "
        f"{figures.flops / 1e9:.3f} GFLOPs",
    ]


def node_markdown(
    network: Network, node: Stem | Block, lines: Sequence[str], figures: NetworkFigures | str | Pending | None = None
) -> str:
    """The hover of a node in a file of `lines`; `figures` None when the file has errors (only
    the file's facts then)."""
    facts = _facts(network, node, lines)
    return "\n".join([facts[0], "", *facts[1:], *_figures(node, figures)])


def setting_markdown(row: SettingHelp) -> str:
    default = f"\n\ndefault: {row.default}" if row.default else ""
    return f"{row.markdown()}\n\n{row.meaning}{default}"


def setting_at(line: str, column: int) -> tuple[SettingHelp, int, int] | None:
    """The header setting explained where a 1-based column of a line falls on its keyword (or on a
    `key=` of its line), with the word's columns (1-based, end exclusive); None elsewhere."""
    words = list(_WORD.finditer(line))
    if not words or line[: words[0].start()].strip():
        return None
    row = help_of(words[0].group())
    if row is None:
        return None
    for index, word in enumerate(words):
        if not word.start() < column <= word.end() + 1:
            continue
        is_key = line[word.end() :].lstrip().startswith("=")
        return (row, word.start() + 1, word.end() + 1) if index == 0 or is_key else None
    return None


# --- the server's handler --------------------------------------------------------------------


def register(server: LanguageServer, figures: FigureCache) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        doc = document(ls, params.text_document.uri)
        line, column = doc.at(params.position)
        network = doc.parsed
        found = None if network is None else occurrence_at(network, line, column)
        if network is not None and found is not None:
            node = next((n for n in network.nodes if n.id == found.node_id), None)
            if node is None:  # an input naming no node (E131)
                return None
            counted = None if doc.network is None else figures.figures(doc.checked.source)
            text, span = node_markdown(network, node, doc.lines, counted), found.span
        else:
            setting = setting_at(doc.lines[line - 1], column) if line <= len(doc.lines) else None
            if setting is None:
                return None
            row, start, end = setting
            text, span = setting_markdown(row), Span(line, start, line, end)
        contents = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)
        return lsp.Hover(contents=contents, range=doc.range(span))
