"""The outline: network, levels, nodes with their lines and widths; kept while the file is wrong."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pygls.workspace import Workspace

from anet.lsp.documents import document
from anet.lsp.symbols import flat, outline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
URI = "file:///tmp/model.anet"


def _doc(text: str):
    workspace = Workspace(None)
    workspace.put_text_document(lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text))
    return document(workspace, URI)


def _contains(outer: lsp.Range, inner: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(outer.start) <= key(inner.start) and key(inner.end) <= key(outer.end)


def test_assemblenet50_by_level():
    text = (EXAMPLES / "assemblenet50.anet").read_text()
    doc = _doc(text)
    root = outline(doc, doc.parsed)
    assert (root.name, root.kind, root.detail) == ("assemblenet50", lsp.SymbolKind.Module, "4 stems, 11 blocks")
    levels = root.children
    assert [(s.name, [n.name for n in s.children]) for s in levels] == [
        ("level 0 (stems)", ["0", "1", "2", "3"]),
        ("level 1", ["4", "5", "6", "7"]),
        ("level 2", ["8", "9", "10", "11"]),
        ("level 3", ["12", "13"]),
        ("level 4", ["14"]),
    ]
    stem, block = levels[0].children[2], levels[2].children[0]
    assert stem.detail == "flow C=32 r=1"
    assert block.detail == "C=64 r=2 stride=2"
    row = text.split("\n").index(next(line for line in text.split("\n") if line.startswith("block 8 ")))
    assert block.range.start == lsp.Position(line=row, character=0)  # the line, and the id to select
    assert block.selection_range == lsp.Range(
        start=lsp.Position(line=row, character=6), end=lsp.Position(line=row, character=7)
    )
    for parent in [root, *levels]:
        for child in parent.children:
            assert _contains(parent.range, child.range)
        assert _contains(parent.range, parent.selection_range)


def test_lite_blocks_show_their_filter_triple():
    doc = _doc((EXAMPLES / "assemblenet_plus_lite.anet").read_text())
    details = {n.detail for level in outline(doc, doc.parsed).children[1:] for n in level.children}
    assert any(d.startswith("C=[") and d.count(",") == 2 for d in details)


def test_the_outline_stays_while_a_node_is_unknown_and_loses_a_line_that_does_not_parse():
    text = (EXAMPLES / "assemblenet50.anet").read_text()
    wrong = _doc(text.replace("in=[12@", "in=[99@"))
    assert wrong.network is None
    assert len(flat(wrong, outline(wrong, wrong.parsed))) == 1 + 5 + 15
    broken = _doc(text.replace("block 13 level=3", "block 13 level="))
    names = [s.name for s in flat(broken, outline(broken, broken.parsed))]
    assert "13" not in names and "12" in names


def test_flat_symbols_name_their_container():
    doc = _doc((EXAMPLES / "one_stream_rgb.anet").read_text())
    found = [(s.name, s.container_name) for s in flat(doc, outline(doc, doc.parsed))]
    assert found[:3] == [("one_stream_rgb", None), ("level 0 (stems)", "one_stream_rgb"), ("srgb", "level 0 (stems)")]
    assert len(found) == 1 + 5 + 5
