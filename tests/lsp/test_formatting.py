"""Formatting is `anet fmt`: the canonical text, reached by edits of the lines that differ only."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.workspace import Workspace
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from anet.dsl import check_text, format_network
from anet.lsp.documents import document
from anet.lsp.formatting import canonical, edits

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///tmp/model.anet"
CANONICAL = (EXAMPLES / "one_stream_rgb.anet").read_text()
# Three lines out of form: a header setting, a stem and a block (its attributes out of order).
UNTIDY = (
    CANONICAL.replace("  classes 339", "    classes   339  # the classes")
    .replace("stem srgb", "stem   srgb")
    .replace("block rgb2 level=2 in=[rgb1] C=256 r=1 stride=2", "block rgb2 in=[rgb1] level=2 stride=2 C=256 r=1")
)


def _workspace(text: str) -> Workspace:
    workspace = Workspace(None)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    return workspace


def _applied(workspace: Workspace, changes: list[lsp.TextEdit]) -> str:
    """The document after the edits, applied as an editor does (last first, in its own units)."""
    ordered = sorted(changes, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    for version, edit in enumerate(ordered, start=2):
        workspace.update_text_document(
            lsp.VersionedTextDocumentIdentifier(uri=URI, version=version),
            lsp.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text),
        )
    return workspace.get_text_document(URI).source


def test_the_edits_give_anet_fmt_output_and_touch_only_lines_out_of_form():
    workspace = _workspace(UNTIDY)
    doc = document(workspace, URI)
    text = canonical(doc)
    assert (
        text
        == format_network(check_text(UNTIDY).network)
        == CANONICAL.replace("classes 339", "classes 339  # the classes")
    )
    found = edits(doc, text)
    assert sorted(e.range.start.line for e in found) == [3, 5, 7]
    assert _applied(workspace, found) == text


def test_a_canonical_file_needs_no_edit():
    doc = document(_workspace(CANONICAL), URI)
    assert edits(doc, canonical(doc)) == []


@pytest.mark.parametrize("lines", [range(5, 6), range(7, 8), range(0, 2)])
def test_range_formatting_edits_the_lines_in_the_range_only(lines: range):
    workspace = _workspace(UNTIDY)
    doc = document(workspace, URI)
    found = edits(doc, canonical(doc), lines)
    assert [e.range.start.line for e in found] == [n for n in (3, 5, 7) if n in lines]
    after = _applied(workspace, found).split("\n")
    for number, line in enumerate(after):
        want = canonical(doc).split("\n") if number in lines else UNTIDY.split("\n")
        assert line == want[number]


def test_a_last_line_without_newline_gets_one():
    workspace = _workspace(CANONICAL.rstrip("\n"))
    doc = document(workspace, URI)
    assert _applied(workspace, edits(doc, canonical(doc))) == CANONICAL


def test_crlf_lines_become_the_canonical_newlines():
    workspace = _workspace(CANONICAL.replace("\n", "\r\n"))
    doc = document(workspace, URI)
    assert _applied(workspace, edits(doc, canonical(doc))) == CANONICAL


@pytest.mark.parametrize(
    "broken",
    [
        CANONICAL.replace("in=[rgb3]", "in=[rgb9]"),  # a graph error
        CANONICAL.replace("block rgb4", "blok rgb4"),  # a syntax error
    ],
)
def test_a_file_with_errors_is_not_formatted(broken: str):
    assert canonical(document(_workspace(broken), URI)) is None


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=client_capabilities("neovim@v0.7.0")))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_through_the_server_formatting_edits_and_refuses_with_a_message(client: LanguageClient):
    options = lsp.FormattingOptions(tab_size=2, insert_spaces=True)
    for version, (text, edited) in enumerate([(UNTIDY, 3), (UNTIDY.replace("in=[rgb3]", "in=[rgb9]"), 0)], start=1):
        uri = f"file:///work/untidy{version}.anet"
        item = lsp.TextDocumentItem(uri=uri, language_id="anet", version=1, text=text)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
        asked = lsp.DocumentFormattingParams(text_document=lsp.TextDocumentIdentifier(uri=uri), options=options)
        found = await asyncio.wait_for(client.text_document_formatting_async(asked), 30)
        assert len(found) == edited
    (said,) = client.messages
    assert said.type == lsp.MessageType.Warning and said.message == "anet fmt: not formatted: 1 error to fix first"
    whole = lsp.Range(start=lsp.Position(line=5, character=0), end=lsp.Position(line=6, character=0))
    ranged = lsp.DocumentRangeFormattingParams(
        text_document=lsp.TextDocumentIdentifier(uri="file:///work/untidy1.anet"), range=whole, options=options
    )
    (only,) = await asyncio.wait_for(client.text_document_range_formatting_async(ranged), 30)
    assert only.range.start.line == 5 and only.new_text == "stem srgb in=[rgb] C=128 r=1\n"
