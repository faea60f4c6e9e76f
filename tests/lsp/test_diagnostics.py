"""anet check's diagnostics as LSP's, with the places a problem involves besides its own."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pygls.workspace import Workspace

from anet.lsp.diagnostics import all_to_lsp
from anet.lsp.documents import document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///tmp/model.anet"
NET50 = (EXAMPLES / "assemblenet50.anet").read_text()


def _shown(text: str) -> list[lsp.Diagnostic]:
    workspace = Workspace(None)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    return all_to_lsp(document(workspace, URI))


def _row(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if line.startswith(prefix))


def _related(found: lsp.Diagnostic) -> list[tuple[int, int, str]]:
    return [
        (r.location.range.start.line, r.location.range.start.character, r.message) for r in found.related_information
    ]


def test_a_reused_id_points_at_its_first_definition():
    text = NET50.replace("block 5 ", "block 4 ")
    (reused,) = [d for d in _shown(text) if d.code == "E130"]
    assert (reused.range.start.line, reused.range.start.character) == (_row(text, "block 4 level=1 in=[0]"), 6)
    assert _related(reused) == [(_row(text, "block 4 level=1 in=[1]"), 6, "node 4 is first defined here")]


def test_an_input_written_later_points_at_its_node():
    text = NET50.replace("block 4 level=1 in=[1]", "block 4 level=1 in=[9]")
    (later,) = _shown(text)
    assert later.code == "E132" and _related(later) == [(_row(text, "block 9 "), 6, "node 9 is written here")]


def test_a_budget_points_at_every_node_it_sums():
    text = NET50.replace("11@0.95479834] C=256", "11@0.95479834] C=2560")
    (over,) = _shown(text)
    assert over.code == "E150" and over.severity == lsp.DiagnosticSeverity.Error
    rows = [(line, message) for line, _, message in _related(over)]
    assert rows == [(_row(text, "block 12 "), "node 12 counts 2560"), (_row(text, "block 13 "), "node 13 counts 256")]


def test_others_carry_none_and_the_hint_follows_the_message():
    (unknown,) = _shown(NET50.replace("in=[2@0.5846118", "in=[22@0.5846118"))
    assert unknown.related_information is None
    assert unknown.message == "block 7 reads unknown node 22\nhint: did you mean '2'?"
    assert (unknown.code, unknown.source) == ("E131", "anet")
