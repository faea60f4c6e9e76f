"""Inlay hints: each node's parameters and GFLOPs at the end of its line, once counted."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from anet.dsl import parse
from anet.dsl.diagnostics import source_lines
from anet.lsp.costs import count
from anet.lsp.inlay import node_hints

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two_stream_late_fusion.anet"
TEXT = EXAMPLE.read_text().replace("\n\n", "\n  clip frames=4 size=64\n\n", 1)
WAIT_S = 120.0


def test_one_hint_per_node_line_at_its_end():
    network, figures = parse(TEXT), count(TEXT)
    lines = source_lines(TEXT)
    hints = node_hints(network, figures, 1, len(lines))
    assert [line for line, _, _ in hints] == [n.span.line for n in network.nodes]
    assert all(column == len(lines[line - 1]) + 1 for line, column, _ in hints)
    own = figures.nodes["rgb3"]
    assert (network.node("rgb3").span.line, f"{own.parameters:,} params, {own.flops / 1e9:.3f} GFLOPs") in {
        (line, label) for line, _, label in hints
    }
    assert node_hints(network, figures, 1, network.nodes[0].span.line) == hints[:1]


URI = "file:///tmp/late.anet"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    lsp_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=TEXT)
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_inlay_hints_through_the_server(client: LanguageClient):
    whole = lsp.Range(
        start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(source_lines(TEXT)), character=0)
    )
    params = lsp.InlayHintParams(text_document=lsp.TextDocumentIdentifier(uri=URI), range=whole)
    hints = await client.text_document_inlay_hint_async(params)
    deadline = time.monotonic() + WAIT_S
    while not hints and time.monotonic() < deadline:  # none until the figures are counted
        await asyncio.sleep(0.2)
        hints = await client.text_document_inlay_hint_async(params)
    network = parse(TEXT)
    assert [h.position.line + 1 for h in hints] == [n.span.line for n in network.nodes]
    assert hints[0].label.endswith("GFLOPs")
