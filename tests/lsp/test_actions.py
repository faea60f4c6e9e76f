"""Quick fixes: each one, applied as an editor applies it, makes its problem go away."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.workspace import Workspace
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from anet.dsl import check_text
from anet.lsp.actions import fixes
from anet.lsp.documents import document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///tmp/model.anet"
NET50 = (EXAMPLES / "assemblenet50.anet").read_text()


def _fixed(text: str, code: str) -> tuple[str, str]:
    """(title, text after the first fix) of the file's only `code` diagnostic."""
    workspace = Workspace(None)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    doc = document(workspace, URI)
    (problem,) = [d for d in doc.checked.diagnostics if d.code == code]
    found = fixes(doc, problem)
    assert found, f"no fix for {problem}"
    for version, edit in enumerate(sorted(found[0].edits, key=lambda e: e.range.start.line, reverse=True), start=2):
        workspace.update_text_document(
            lsp.VersionedTextDocumentIdentifier(uri=URI, version=version),
            lsp.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text),
        )
    return found[0].title, workspace.get_text_document(URI).source


@pytest.mark.parametrize(
    ("old", "new", "code", "title"),
    [
        ("network assemblenet50", "netwrk assemblenet50", "E100", "Replace 'netwrk' with 'network'"),
        ("\n  edges fixed", "\n  edges fxed", "E100", "Replace 'fxed' with 'fixed'"),
        ("in=[2@0.5846118", "in=[22@0.5846118", "E131", "Replace '22' with '2'"),
        ("stem 2 in=[flow]", "stem 2 in=[flw]", "E134", "Replace 'flw' with 'flow'"),
        ("in=[1] C=32 r=1", "in=[1@0.5] C=32 r=1", "E160", "Remove the weight @0.5"),
        ("3@0.6066335]", "3@0.6066335, 2@0.5]", "E137", "Remove the repeated 2"),
        ("in=[1] C=32 r=1", "in=[1] C=32 r=1 peers=[0]", "E163", "Remove peers=[...]"),
        ("\n  edges fixed", "\n  edges fixed\n  hash 0123abcd", "W170", "Update the hash to"),
    ],
)
def test_the_fix_restores_a_clean_file(old: str, new: str, code: str, title: str):
    broken = NET50.replace(old, new, 1)
    assert broken != NET50
    said, fixed = _fixed(broken, code)
    assert said.startswith(title)
    result = check_text(fixed)
    assert result.network is not None and result.diagnostics == []
    if code != "W170":
        assert fixed == NET50


def test_a_misspelled_mutation_is_fixed():
    text = "network m\n  classes 3\n  mutations [dilaton(b, 2)]\n\nstem 0 in=[rgb] C=8 r=1\n"
    text += "block 1 level=4 in=[0] C=8 r=1\n"
    title, fixed = _fixed(text, "E103")
    assert title == "Replace 'dilaton' with 'dilation'"
    assert check_text(fixed).diagnostics == []


def test_no_fix_where_there_is_no_mechanical_one():
    workspace = Workspace(None)
    text = NET50.replace("in=[2@0.5846118", "in=[zzzz@0.5846118", 1)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    doc = document(workspace, URI)
    assert [(d.code, fixes(doc, d)) for d in doc.checked.diagnostics] == [("E131", [])]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code@v1.65.2"))
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_through_the_server_a_quick_fix_at_the_cursor(client: LanguageClient):
    text = NET50.replace("in=[2@0.5846118", "in=[22@0.5846118", 1)
    item = lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    row = next(i for i, line in enumerate(text.split("\n")) if "in=[22@" in line)
    cursor = lsp.Position(line=row, character=text.split("\n")[row].index("22") + 1)
    doc = lsp.TextDocumentIdentifier(uri=URI)

    async def ask(at: lsp.Position, only: list[str] | None = None) -> list[lsp.CodeAction]:
        context = lsp.CodeActionContext(diagnostics=[], only=only)
        params = lsp.CodeActionParams(text_document=doc, range=lsp.Range(start=at, end=at), context=context)
        return await asyncio.wait_for(client.text_document_code_action_async(params), 30)

    (action,) = await ask(cursor)
    assert (action.title, action.kind, action.is_preferred) == ("Replace '22' with '2'", "quickfix", True)
    assert [d.code for d in action.diagnostics] == ["E131"]
    (edit,) = action.edit.changes[URI]
    assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (row, cursor.character - 1, "2")
    assert not await ask(lsp.Position(line=0, character=0))
    assert not await ask(cursor, only=[lsp.CodeActionKind.Refactor])
