"""When the server publishes: at once on open, save and a lone change, at most twice for a burst of
changes (its first key and its last text), and an empty list on close. Driven through a real server
subprocess."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from anet.lsp.publishing import DEBOUNCE_S

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///work/typing.anet"
TEXT = (EXAMPLES / "one_stream_rgb.anet").read_text(encoding="utf-8")
WAIT_S = 30.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient, wait_s: float = WAIT_S) -> None:
    await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), wait_s)


@pytest.mark.asyncio
async def test_a_burst_of_changes_is_checked_at_its_first_key_and_for_its_last_text(client: LanguageClient):
    item = lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=TEXT)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await _published(client)
    assert list(client.diagnostics[URI]) == []
    await asyncio.sleep(DEBOUNCE_S)  # the open's check is long enough ago: the first key is checked at once
    row = TEXT.split("\n").index("block rgb4 level=4 in=[rgb3] C=512 r=1 stride=2")
    typed = "  # a comment typed key by key, then an error: in=[rgb9]"
    started = time.perf_counter()
    for version, end in enumerate(range(1, len(typed) + 1), start=2):  # one key per change, as fast as we can
        where = lsp.Position(line=row, character=len("block rgb4 level=4 in=[rgb3] C=512 r=1 stride=2") + end - 1)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(start=where, end=where), text=typed[end - 1])
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=version), content_changes=[change]
            )
        )
    sent = time.perf_counter() - started
    versions = []
    while True:
        try:
            version = await asyncio.wait_for(_version_published(client), 4 * DEBOUNCE_S + 1)
        except TimeoutError:
            break
        versions.append(version)
    if sent < DEBOUNCE_S:  # the whole burst came within one debounce: its first key, then its last text
        assert versions == [2, len(typed) + 1]
    assert versions[0] == 2 and versions[-1] == len(typed) + 1 and len(versions) < len(typed) // 2
    assert list(client.diagnostics[URI]) == []  # the error is inside the comment


async def _version_published(client: LanguageClient) -> int:
    params = await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return params.version


@pytest.mark.asyncio
async def test_a_lone_change_is_checked_at_once(client: LanguageClient):
    item = lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=TEXT)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await _published(client)
    await asyncio.sleep(DEBOUNCE_S)
    whole = lsp.TextDocumentContentChangeWholeDocument(text=TEXT.replace("in=[rgb3]", "in=[rgb3, rgb9]"))
    started = time.perf_counter()
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=2), content_changes=[whole]
        )
    )
    assert await _version_published(client) == 2
    assert time.perf_counter() - started < DEBOUNCE_S  # not held back by the debounce
    assert [d.code for d in client.diagnostics[URI]] == ["E131"]


@pytest.mark.asyncio
async def test_save_publishes_at_once_and_close_clears(client: LanguageClient):
    broken = TEXT.replace("in=[rgb3]", "in=[rgb3, rgb9]")
    item = lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=broken)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    await _published(client)
    assert [d.code for d in client.diagnostics[URI]] == ["E131"]
    client.diagnostics[URI] = []
    # no change is pending, so what comes now is the save's own check
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=URI)))
    await _published(client)
    assert [d.code for d in client.diagnostics[URI]] == ["E131"]
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=URI)))
    await _published(client)
    assert list(client.diagnostics[URI]) == []
