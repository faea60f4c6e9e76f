"""`anet lsp` started as a subprocess publishes `anet check`'s diagnostics and clears them on a fix."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

BROKEN = "network tiny\n  classes 4\nstem 0 in=[rgb] C=64 r=1\nblock 1 level=4 in=[0, 7] C=512 r=1\n"
FIXED = BROKEN.replace("in=[0, 7]", "in=[0]")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_diagnostics_appear_and_clear(client: LanguageClient):
    uri = "file:///tmp/tiny.anet"
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="anet", version=1, text=BROKEN)
        )
    )
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    found = client.diagnostics[uri]
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [("E131", 3, 23)]
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=FIXED)],
        )
    )
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []
