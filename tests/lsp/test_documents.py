"""The document store: one parse per version, positions converted in the client's units."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pygls.workspace import Workspace

from anet.dsl.diagnostics import Span
from anet.lsp.documents import checked, document, forget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///tmp/model.anet"


def _workspace(text: str, encoding: str = lsp.PositionEncodingKind.Utf16) -> Workspace:
    workspace = Workspace(None, position_encoding=encoding)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    return workspace


def _edit(workspace: Workspace, text: str, version: int) -> None:
    workspace.update_text_document(
        lsp.VersionedTextDocumentIdentifier(uri=URI, version=version),
        lsp.TextDocumentContentChangeWholeDocument(text=text),
    )


def test_one_parse_per_version():
    text = (EXAMPLES / "assemblenet50.anet").read_text()
    workspace = _workspace(text)
    first = document(workspace, URI)
    assert first.network is not None and first.version == 1
    assert document(workspace, URI) is first
    assert checked(workspace, URI) is first.checked
    _edit(workspace, text.replace("network ", "netwrk ", 1), 2)
    second = document(workspace, URI)
    assert second is not first and second.network is None
    assert "E100" in [d.code for d in second.checked.diagnostics]


def test_forget_drops_the_parse():
    workspace = _workspace((EXAMPLES / "one_stream_rgb.anet").read_text())
    first = document(workspace, URI)
    forget(workspace, URI)
    assert document(workspace, URI) is not first


def test_positions_count_utf16_units_after_wide_characters():
    # "😋" is one code point, two UTF-16 units and four UTF-8 bytes: columns after it differ.
    text = "# 😋\nnetwork tiny  # 😋 x\n  classes 4\nstem 0 in=[rgb] C=64 r=1\nblock 1 level=4 in=[0] C=8 r=1\n"
    span = Span(2, 18, 2, 19)  # the "x" after the emoji
    assert document(_workspace(text), URI).range(span).start == lsp.Position(line=1, character=18)
    utf8 = document(_workspace(text, lsp.PositionEncodingKind.Utf8), URI)
    assert utf8.range(span).start == lsp.Position(line=1, character=20)
    assert utf8.at(lsp.Position(line=1, character=20)) == (2, 18)


def test_positions_past_the_end_stay_in_the_document():
    doc = document(_workspace("network tiny\n"), URI)
    assert doc.at(lsp.Position(line=0, character=500)) == (1, 13)
    assert doc.at(lsp.Position(line=9, character=3)) == (10, 1)
    assert doc.end() == lsp.Position(line=1, character=0)
    assert doc.range(None).start == lsp.Position(line=0, character=0)


def test_a_document_not_opened_and_not_on_disk_is_empty():
    doc = document(Workspace(None), "file:///nowhere/missing.anet")
    assert doc.text == "" and [d.code for d in doc.checked.diagnostics] == ["E101"]


def test_a_wrong_file_still_has_its_nodes():
    text = (EXAMPLES / "assemblenet50.anet").read_text().replace("in=[", "in=[nowhere, ", 1)
    doc = document(_workspace(text), URI)
    assert doc.network is None and doc.parsed is not None
    assert len(doc.parsed.nodes) == len(document(_workspace(text.replace("nowhere, ", "")), URI).parsed.nodes)
