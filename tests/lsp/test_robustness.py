"""No input stops `anet lsp`: random edits of the examples replayed through one real server, files of
10,000 nodes, a handler that fails, requests it does not know, and a clean shutdown.

The edits are drawn by a seeded RNG (so a failure replays), applied to a copy of the text here and
sent as the incremental changes an editor sends; after each one the server is asked for what an
editor asks while typing. Every answer must arrive, none may be an error, and at the end the
diagnostics must be `anet check`'s for the text both sides now hold.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInternalError, JsonRpcMethodNotFound
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities, make_test_lsp_client

from anet.dsl import check_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SERVER = [sys.executable, "-m", "anet", "lsp"]
URI = "file:///work/mutated.anet"
WAIT_S = 60.0  # per answer; a 10,000-node file takes seconds on two busy cores, a stuck server fails
EDITS_PER_FILE = 100
FILES = ["assemblenet50.anet", "assemblenet_plus50.anet", "assemblenet_plus_lite.anet", "two_stream_late_fusion.anet"]
# What typing and pasting put in a file. No character pygls counts as a line break besides "\n"
# (it splits with str.splitlines); those come in whole-document changes only (`JUNK`).
PIECES = [
    *"abcxyz019_ =[],@#.-\t",
    "block",
    "stem",
    "level=",
    "in=[",
    "peers=[",
    "C=",
    "r=",
    "stride=",
    "@0.5",
    "network",
    "  classes ",
    "  budget l2=",
    "attention=peer",
    "9" * 40,
    "-1",
    "1e999",
    "nan",
    "\N{SMILING FACE WITH OPEN MOUTH}",
    "\N{MUSICAL SYMBOL G CLEF}",
    "\u00e9",
    "\ufeff",
    "\x00",
    "\ufffd",
    "\n",
]
TABS = lsp.FormattingOptions(tab_size=2, insert_spaces=True)
JUNK = "\x00\x01\x0b\x0c\x1c\x85\u2028\ud7ff\r\r\n\t ]][[@=#\N{SMILING FACE WITH OPEN MOUTH}"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    capabilities = client_capabilities("visual-studio-code@v1.65.2")
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=capabilities))
    yield
    await lsp_client.shutdown_session()


def _position(text: str, offset: int) -> lsp.Position:
    """A code point offset as an LSP position in UTF-16 units, lines ended by "\\n" only."""
    before = text[:offset]
    line_start = before.rfind("\n") + 1
    return lsp.Position(line=before.count("\n"), character=len(before[line_start:].encode("utf-16-le")) // 2)


def _edit(rng: random.Random, text: str) -> tuple[int, int, str]:
    """(start, end, new text) of one random edit: characters or lines deleted, inserted, replaced."""
    lines = text.split("\n")
    kind = rng.choice(["delete", "insert", "replace", "delete line", "duplicate line", "replace line"])
    if kind.endswith("line"):
        row = rng.randrange(len(lines))
        start = sum(len(line) + 1 for line in lines[:row])
        end = min(start + len(lines[row]) + 1, len(text))
        new = {
            "delete line": "",
            "duplicate line": text[start:end] * 2,
            "replace line": "".join(rng.choices(PIECES, k=rng.randint(1, 8))) + "\n",
        }[kind]
        return start, end, new
    start = rng.randint(0, len(text))
    end = min(start + rng.randint(1, 12), len(text)) if kind != "insert" else start
    new = "" if kind == "delete" else "".join(rng.choices(PIECES, k=rng.randint(1, 4)))
    return start, end, new


def _open(client: LanguageClient, text: str) -> None:
    item = lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))


def _change(client: LanguageClient, version: int, change: lsp.TextDocumentContentChangeEvent) -> None:
    document = lsp.VersionedTextDocumentIdentifier(uri=URI, version=version)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=document, content_changes=[change]))


async def _ask(client: LanguageClient, rng: random.Random, text: str, hover: bool) -> None:
    """What an editor asks while the user types, all at once; every answer must come, none an error."""
    doc = lsp.TextDocumentIdentifier(uri=URI)
    here = _position(text, rng.randint(0, len(text)))
    there = _position(text, rng.randint(0, len(text)))
    span = lsp.Range(start=min(here, there, key=_key), end=max(here, there, key=_key))
    asked = [
        client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc)),
        client.text_document_formatting_async(
            lsp.DocumentFormattingParams(
                text_document=doc, options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
            )
        ),
        client.text_document_code_action_async(
            lsp.CodeActionParams(text_document=doc, range=span, context=lsp.CodeActionContext(diagnostics=[]))
        ),
        client.text_document_completion_async(lsp.CompletionParams(text_document=doc, position=here)),
        client.text_document_definition_async(lsp.DefinitionParams(text_document=doc, position=here)),
        client.text_document_references_async(
            lsp.ReferenceParams(
                text_document=doc, position=here, context=lsp.ReferenceContext(include_declaration=True)
            )
        ),
    ]
    if hover:
        asked.append(client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=here)))
    await asyncio.wait_for(asyncio.gather(*asked), WAIT_S)


def _key(p: lsp.Position) -> tuple[int, int]:
    return p.line, p.character


def _shown(text: str) -> list[tuple[str, int, str]]:
    return sorted((d.code, d.span.line - 1 if d.span else 0, d.message) for d in check_text(text).diagnostics)


async def _diagnostics_become(client: LanguageClient, text: str) -> None:
    """Wait until the published diagnostics are `anet check`'s for `text`."""
    want = _shown(text)

    def published() -> list[tuple[str, int, str]]:
        found = client.diagnostics.get(URI, [])
        return sorted((str(d.code), d.range.start.line, d.message.split("\nhint: ")[0]) for d in found)

    async def settle() -> None:
        while published() != want:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    await asyncio.wait_for(settle(), WAIT_S)


@pytest.mark.asyncio
async def test_random_edits_of_the_examples_never_stop_the_server(client: LanguageClient):
    rng = random.Random(25)
    version = 1
    for name in FILES:
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        if name == FILES[0]:
            _open(client, text)
        else:
            version += 1
            _change(client, version, lsp.TextDocumentContentChangeWholeDocument(text=text))
        for step in range(EDITS_PER_FILE):
            version += 1
            if step % 20 == 19:  # a paste of binary junk, in one whole-document change, then the file back
                junk = "".join(rng.choices(JUNK, k=200))
                _change(client, version, lsp.TextDocumentContentChangeWholeDocument(text=junk))
                await _ask(client, rng, junk, hover=False)
                version += 1
                _change(client, version, lsp.TextDocumentContentChangeWholeDocument(text=text))
                continue
            start, end, new = _edit(rng, text)
            span = lsp.Range(start=_position(text, start), end=_position(text, end))
            _change(client, version, lsp.TextDocumentContentChangePartial(range=span, text=new))
            text = text[:start] + new + text[end:]
            await _ask(client, rng, text, hover=step % 15 == 0)
        client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=URI)))
        await _diagnostics_become(client, text)
    assert not [m for m in client.messages if m.type == lsp.MessageType.Error]


def _generated(nodes: int, line: str) -> str:
    """A network of `nodes` nodes: a fifth stems, the rest level-4 blocks; `line` formats each block."""
    stems = nodes // 5
    text = f"network big\n  classes 3\n  budget stems={nodes} l4={nodes}\n\n"
    text += "".join(f"stem s{i} in=[rgb] C=1 r=1\n" for i in range(stems))
    return text + "".join(line.format(i=i, s=i % stems) for i in range(nodes - stems))


@pytest.mark.slow  # checks 10,000-node files several times on a loaded machine
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "block",
    [
        "block b{i} level=4 in=[s{s}] C=1 r=1\n",  # valid
        "block b{i} level=4 in=[x{i}] C=1 r=1\n",  # every input unknown: 8,000 errors and 2,000 warnings
        "block b{i} level=4 in=[s{s}] C= r=1\n",  # every block line a syntax error
        "block b{i} level=4 in=[s{s}] C={i}{i}{i}{i}{i}{i}{i} r=1\n",  # huge numbers
    ],
)
async def test_files_of_10000_nodes_are_answered(client: LanguageClient, block: str):
    text = _generated(10_000, block)
    _open(client, text)
    await _diagnostics_become(client, text)
    await _ask(client, random.Random(1), text, hover=False)


@pytest.mark.asyncio
async def test_unknown_requests_get_method_not_found_and_notifications_are_ignored(client: LanguageClient):
    with pytest.raises(JsonRpcMethodNotFound):
        await asyncio.wait_for(client.protocol.send_request_async("anet/noSuchRequest", {}), WAIT_S)
    client.protocol.notify("anet/noSuchNotification", {})
    client.protocol.notify("$/noSuchNotification", {})
    text = (EXAMPLES / "one_stream_rgb.anet").read_text(encoding="utf-8")
    _open(client, text)
    await _ask(client, random.Random(2), text, hover=True)


# The server with two handlers made to fail on a marker in the text: the outline (a request) and
# the diagnostics' conversion (behind a notification).
FAILING = """
import anet.lsp.publishing as publishing, anet.lsp.symbols as symbols
from anet.lsp import create_server

def failing(real):
    def call(doc, *args):
        if "BOOM" in doc.text:
            raise RuntimeError("a bug in anet")
        return real(doc, *args)
    return call

symbols.outline = failing(symbols.outline)
publishing.all_to_lsp = failing(publishing.all_to_lsp)
create_server().start_io()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", FAILING]))
async def failing_client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_failing_handler_answers_with_an_error_and_the_server_stays_up(failing_client: LanguageClient):
    client = failing_client
    text = (EXAMPLES / "one_stream_rgb.anet").read_text(encoding="utf-8")
    _open(client, "# BOOM\n" + text)
    symbols = lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=URI))
    with pytest.raises(JsonRpcInternalError, match="a bug in anet"):
        await asyncio.wait_for(client.text_document_document_symbol_async(symbols), WAIT_S)
    shown = client.messages
    assert any(m.type == lsp.MessageType.Error and "a bug in anet" in m.message for m in shown)  # didOpen's
    _change(client, 2, lsp.TextDocumentContentChangeWholeDocument(text=text))
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=URI)))
    await _diagnostics_become(client, text)
    outline = await asyncio.wait_for(client.text_document_document_symbol_async(symbols), WAIT_S)
    assert [s.name for s in outline][:3] == ["one_stream_rgb", "level 0 (stems)", "srgb"]  # flat: no nesting asked


@pytest.mark.asyncio
async def test_shutdown_and_exit_end_the_process_with_status_0():
    lsp_client = make_test_lsp_client()
    await lsp_client.start_io(*SERVER)
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    assert await asyncio.wait_for(lsp_client.shutdown_async(None), WAIT_S) is None
    lsp_client.exit(None)
    assert await asyncio.wait_for(lsp_client._server.wait(), WAIT_S) == 0
    await lsp_client.stop()
