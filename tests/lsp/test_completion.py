"""Completion by position: statement keywords, header settings and their values, node attributes and
their values, and the node ids the level rule allows in `in=[...]` and `peers=[...]`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from anet.dsl import check_text, parse
from anet.dsl.diagnostics import source_lines
from anet.dsl.header import HEADER_FIELDS
from anet.lsp.completion import complete

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.anet"))
AN50 = (Path(__file__).resolve().parents[2] / "examples" / "assemblenet50.anet").read_text()


def labels(text: str, line: int, column: int | None = None) -> list[str]:
    """What is offered at a 1-based (line, column) of `text`; column None: the line's end."""
    lines = source_lines(text)
    column = len(lines[line - 1]) + 1 if column is None else column
    return [s.label for s in complete(lines, check_text(text).parsed, line, column).suggestions]


def typed(prefix: str, text: str = AN50) -> list[str]:
    """What is offered after typing `prefix` on a new last line of `text`."""
    return labels(text + prefix + "\n", len(source_lines(text)) + 1)


@pytest.mark.parametrize(
    ("prefix", "offered"),
    [
        ("", ["stem", "block"]),
        ("blo", ["stem", "block"]),
        ("block 20", []),  # the id comes first
        ("block 20 ", ["level=", "in=[", "C=", "r=", "stride=", "attention=", "peers=["]),
        ("block 20 level=3 in=[8] le", ["C=", "r=", "stride=", "attention=", "peers=["]),
        ("stem 20 ", ["in=[", "C=", "r="]),
        ("stem 20 in=[", ["rgb", "flow", "object"]),
        ("block 20 level=", ["1", "2", "3", "4"]),
        ("block 20 level=3 in=[8] C=64 r=", ["1", "2", "4", "8"]),
        ("block 20 level=3 in=[8] C=64 r=1 stride=", ["1", "2"]),
        ("block 20 level=3 in=[8] C=64 r=1 attention=pe", ["none", "self", "peer"]),
        ("block 20 level=3 in=[8] C=", []),
        ("block 20 level=3 in=[8] # in=[", []),
    ],
)
def test_node_lines(prefix: str, offered: list[str]):
    assert typed(prefix) == offered


def test_inputs_are_the_nodes_above_on_a_lower_level():
    network = parse(AN50)
    assert typed("block 20 level=2 in=[") == [n.id for n in network.nodes if n.level < 2]
    assert typed("block 20 level=2 in=[0@0.5, 4, ") == [n.id for n in network.nodes if n.level < 2 and n.id not in "04"]
    assert typed("block 20 level=1 C=32 r=1 attention=peer peers=[") == [n.id for n in network.stems]
    assert typed("block 20 in=[") == [n.id for n in network.nodes]  # no level yet: every node above


def test_inputs_above_the_cursor_only():
    text = "network t\n  classes 3\nstem 0 in=[rgb] C=32 r=1\nblock 1 level=2 in=[\nblock 2 level=1 in=[0] C=32 r=1\n"
    assert labels(text, 4) == ["0"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_blocks_own_inputs_are_always_offered(path: Path):
    """Cut each block's line right after `in=[`: every input the file gives it is among the offers,
    and every offer is a node above it on a lower level."""
    text = path.read_text()
    lines = source_lines(text)
    network = parse(text)
    for block in network.blocks:
        row = block.span.line - 1
        cut = lines[row].index("in=[") + len("in=[")
        offered = labels("\n".join([*lines[:row], lines[row][:cut], *lines[row + 1 :]]) + "\n", row + 1, cut + 1)
        assert {e.source for e in block.inputs} <= set(offered), block.id
        above = {n.id: n for n in network.nodes if n.span.line < block.span.line}
        assert all(above[o].level < block.level for o in offered), block.id


def test_statement_start_in_the_header():
    text = "network t\n  classes 3\n  \nstem 0 in=[rgb] C=32 r=1\n"
    offered = labels(text, 3)
    assert offered[:-2] == [f.keyword for f in HEADER_FIELDS if f.keyword != "classes"]
    assert offered[-2:] == ["stem", "block"]
    assert labels("\n", 1)[0] == "network"


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("  pool ", ["avg", "max"]),
        ("  pool m", ["avg", "max"]),
        ("  pool max ", []),
        ("  edges ", ["learned", "fixed"]),
        ("  attention ", ["none", "self", "peer"]),
        ("  flow ", ["computed", "input", "pyramid"]),
        ("  family ", ["assemblenet", "lite"]),
        ("  depth ", ["50", "101"]),
        ("  classes ", []),
        ("  clip ", ["frames=", "size="]),
        ("  clip frames=8 ", ["size="]),
        ("  clip frames=", []),
        ("  budget l1=64 ", ["stems=", "l2=", "l3=", "l4="]),
        ("  retrained ", ["mean=", "se=", "runs="]),
    ],
)
def test_header_values_and_keys(line: str, offered: list[str]):
    assert sorted(labels(f"network t\n{line}\n", 2)) == sorted(offered)


def test_the_word_typed_so_far_is_replaced():
    lines = source_lines(AN50 + "block 20 level=3 in=[8] C=64 r=2 attention=pe\n")
    found = complete(lines, None, len(lines), len(lines[-1]) + 1)
    assert found.start == len(lines[-1]) - 1  # the `pe`


# --- end to end ------------------------------------------------------------------------------

URI = "file:///tmp/an50.anet"
TYPING = AN50 + "block 20 level=2 in=[\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    lsp_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=TYPING)
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_completion_through_the_server(client: LanguageClient):
    row = len(source_lines(TYPING)) - 1
    at = lsp.Position(line=row, character=len(source_lines(TYPING)[row]))
    found = await client.text_document_completion_async(
        lsp.CompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=URI),
            position=at,
            context=lsp.CompletionContext(
                trigger_kind=lsp.CompletionTriggerKind.TriggerCharacter, trigger_character="["
            ),
        )
    )
    network = parse(AN50)
    assert [item.label for item in found.items] == [n.id for n in network.nodes if n.level < 2]
    first = found.items[0]
    assert first.kind == lsp.CompletionItemKind.Reference and first.detail == "rgb stem, C=32"
    assert first.text_edit.range.start == at and first.text_edit.new_text == "0"
