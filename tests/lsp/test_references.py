"""Node ids under the cursor, their definition and references, and rename: on the examples, on files
with errors, and end to end through `anet lsp`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from anet.dsl import Block, Network, architecture_hash, check_text, parse
from anet.dsl.ast import RESERVED_IDS
from anet.dsl.diagnostics import Span, source_lines
from anet.lsp.references import (
    definition,
    occurrence_at,
    occurrences,
    references,
    rename_refusal,
    rename_spans,
)
from anet.lsp.vocabulary import keywords

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.anet"))
PLUS50 = (Path(__file__).resolve().parents[2] / "examples" / "assemblenet_plus50.anet").read_text()


def _column(text: str, line: int, needle: str, nth: int = 0) -> int:
    """The 1-based column of the nth `needle` on a 1-based line."""
    row = source_lines(text)[line - 1]
    at = -1
    for _ in range(nth + 1):
        at = row.index(needle, at + 1)
    return at + 1


def _line_of(text: str, start: str) -> int:
    return next(i for i, row in enumerate(source_lines(text), 1) if row.startswith(start))


def test_every_definition_input_and_peer_is_an_occurrence():
    network = parse(PLUS50)
    found = occurrences(network)
    assert [o.node_id for o in found if o.role == "definition"] == [n.id for n in network.nodes]
    reads = sum(len(b.inputs) for b in network.blocks)
    assert len([o for o in found if o.role == "input"]) == reads
    assert all(
        PLUS50.splitlines()[o.span.line - 1][o.span.column - 1 : o.span.end_column - 1] == o.node_id for o in found
    )


def test_the_id_under_the_cursor_of_a_weighted_input():
    network = parse(PLUS50)
    line = _line_of(PLUS50, "block 12 ")  # block 12 level=3 in=[4@0.5012748, 11@0.5016682]
    at = _column(PLUS50, line, "11@")
    assert occurrence_at(network, line, at).node_id == "11"
    assert occurrence_at(network, line, at + 2).node_id == "11"  # right after the id, before `@`
    assert occurrence_at(network, line, at + 4) is None  # on the weight
    assert occurrence_at(network, line, 1) is None  # the keyword `block`
    assert occurrence_at(network, line, _column(PLUS50, line, "12")).role == "definition"
    stem = _line_of(PLUS50, "stem 0 ")
    assert occurrence_at(network, stem, _column(PLUS50, stem, "rgb")) is None  # a raw input is no node


def test_definition_and_references_of_an_input():
    network = parse(PLUS50)
    line = _line_of(PLUS50, "block 12 ")
    found = occurrence_at(network, line, _column(PLUS50, line, "4@"))
    assert definition(network, found.node_id).span.line == _line_of(PLUS50, "stem 4 ")
    readers = {o.owner for o in references(network, "4", include_definition=False)}
    assert readers == {b.id for b in network.blocks if "4" in [e.source for e in b.inputs]}
    assert len(references(network, "4")) == len(readers) + 1


def test_peers_are_references():
    text = (
        "network p\n  classes 3\nstem 0 in=[rgb] C=32 r=1\nstem 1 in=[flow] C=32 r=1\n"
        "block 2 level=1 in=[0] C=32 r=1\nblock 3 level=4 in=[2] C=64 r=1 attention=peer peers=[1@0.5, 2@0.5]\n"
    )
    network = parse(text)
    roles = sorted((o.role, o.owner) for o in references(network, "1"))
    assert roles == [("definition", "1"), ("peer", "3")]
    assert occurrence_at(network, 6, _column(text, 6, "1@")).role == "peer"


def test_a_file_with_errors_is_still_navigated():
    # Node 9 does not exist (E131), block 3 reads a later node (E132) and line 7 does not parse.
    text = (
        "network broken\n  classes 3\nstem 0 in=[rgb] C=32 r=1\nblock 3 level=2 in=[0, 9, 4] C=32 r=1\n"
        "block 4 level=1 in=[0] C=32 r=1\nblock 5 level=4 in=[3, 4] C=64 r=1\nblock 6 level=4 in=[0 C=\n"
    )
    checked = check_text(text)
    assert checked.network is None and checked.parsed is not None
    network = checked.parsed
    assert [o.owner for o in references(network, "0", include_definition=False)] == ["3", "4"]
    assert occurrence_at(network, 4, _column(text, 4, "9")).node_id == "9"
    assert definition(network, "9") is None
    assert definition(network, "4").span.line == 5


def test_a_file_without_a_network_line_has_nothing_to_navigate():
    assert check_text("stem 0 in=[rgb] C=32 r=1\n").parsed is None


@pytest.mark.parametrize(
    ("new", "why"),
    [
        ("5", "exists already (line 19)"),
        ("rgb", "names a raw input"),
        ("block", "keyword"),
        ("peer", "keyword"),
        ("a-b", "is not a node id"),
        ("1234567890", "is not a node id"),
        ("", "is not a node id"),
    ],
)
def test_rename_refuses_with_a_reason(new: str, why: str):
    assert why in rename_refusal(parse(PLUS50), "4", new)


@pytest.mark.parametrize("new", ["objects", "obj_stem", "_4", "40", "4"])
def test_rename_accepts_a_free_id(new: str):
    assert rename_refusal(parse(PLUS50), "4", new) is None


def _renamed(text: str, spans: list[Span], new: str) -> str:
    lines = source_lines(text)
    for span in sorted(spans, reverse=True):  # right to left: earlier columns stay valid
        row = lines[span.line - 1]
        lines[span.line - 1] = row[: span.column - 1] + new + row[span.end_column - 1 :]
    return "\n".join(lines) + "\n"


def _same_network_but_ids(before: Network, after: Network, old: str, new: str) -> None:
    def renamed(node_id: str) -> str:
        return new if node_id == old else node_id

    assert [renamed(n.id) for n in before.nodes] == [n.id for n in after.nodes]
    for a, b in zip(before.nodes, after.nodes, strict=True):
        assert a.model_dump(exclude={"id", "inputs", "peers"}) == b.model_dump(exclude={"id", "inputs", "peers"})
        if isinstance(a, Block):
            assert [(renamed(e.source), e.weight) for e in a.inputs] == [(e.source, e.weight) for e in b.inputs]
            assert [(renamed(p.source), p.weight) for p in a.peers or ()] == [
                (p.source, p.weight) for p in b.peers or ()
            ]


NEW_IDS = st.one_of(
    st.sampled_from(["rgb", "block", "se"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True),
    st.integers(0, 10**9 - 1).map(str),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(EXAMPLES), pick=st.integers(min_value=0), new=NEW_IDS)
def test_rename_then_parse_gives_the_same_network_under_new_ids(path: Path, pick: int, new: str):
    text = path.read_text()
    before = parse(text)
    old = before.nodes[pick % len(before.nodes)].id
    refusal = rename_refusal(before, old, new)
    if new in keywords() | RESERVED_IDS or (new != old and new in {n.id for n in before.nodes}):
        assert refusal is not None
        return
    assert refusal is None
    after = parse(_renamed(text, rename_spans(before, old), new))
    assert architecture_hash(after) == architecture_hash(before)
    _same_network_but_ids(before, after, old, new)


# --- end to end ------------------------------------------------------------------------------

URI = "file:///tmp/plus50.anet"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    lsp_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=PLUS50)
        )
    )
    yield
    await lsp_client.shutdown_session()


def _at(line: int, column: int) -> lsp.Position:
    return lsp.Position(line=line - 1, character=column - 1)


def _doc() -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=URI)


@pytest.mark.asyncio
async def test_definition_references_and_rename_through_the_server(client: LanguageClient):
    line = _line_of(PLUS50, "block 12 ")
    on_input = _at(line, _column(PLUS50, line, "11@"))
    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=_doc(), position=on_input))
    assert [(loc.range.start.line + 1, loc.range.start.character + 1) for loc in found] == [
        (_line_of(PLUS50, "block 11 "), len("block ") + 1)
    ]

    used = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=_doc(), position=on_input, context=lsp.ReferenceContext(include_declaration=True)
        )
    )
    assert len(used) == len(references(parse(PLUS50), "11"))

    ready = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(text_document=_doc(), position=on_input)
    )
    assert ready.placeholder == "11"
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=_doc(), position=on_input, new_name="wide")
    )
    spans = [
        Span(e.range.start.line + 1, e.range.start.character + 1, e.range.end.line + 1, e.range.end.character + 1)
        for e in edit.changes[URI]
    ]
    assert "block wide level=2" in _renamed(PLUS50, spans, "wide")
    _same_network_but_ids(parse(PLUS50), parse(_renamed(PLUS50, spans, "wide")), "11", "wide")

    with pytest.raises(JsonRpcException, match="node 12 exists already"):
        await client.text_document_rename_async(
            lsp.RenameParams(text_document=_doc(), position=on_input, new_name="12")
        )
    on_keyword = lsp.DefinitionParams(text_document=_doc(), position=_at(1, 1))
    assert await client.text_document_definition_async(on_keyword) is None
