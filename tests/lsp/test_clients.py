"""`anet lsp` driven as real editors drive it: a server subprocess initialized with the client
capabilities pytest-lsp recorded from Neovim (0.7, Debian's, and 0.11), VS Code and Emacs (eglot).

The clients differ where it matters to a server: Neovim 0.11 counts positions in UTF-8 and Emacs in
UTF-32, the others in UTF-16, and they edit documents incrementally. pytest-lsp checks each answer
against the client's capabilities; its warnings are errors here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from anet.dsl import check_text
from anet.dsl.diagnostics import Severity, Span

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.LspSpecificationWarning")

CLIENTS = ["neovim@v0.7.0", "neovim@v0.11.0", "visual-studio-code@v1.65.2", "emacs@v29.1"]
ENCODING = pytest.StashKey[str]()
WAIT_S = 30.0  # per step; the server answers in well under a second

URI = "file:///work/tiny.anet"
# An error and a warning: node 7 does not exist (E131) and block 2 feeds no level-4 block (W140).
HEAD = "network tiny\n  classes 4\nstem 0 in=[rgb] C=64 r=1\nstem 1 in=[flow] C=64 r=1\n"
BROKEN = HEAD + "block 2 level=1 in=[0, 7] C=64 r=1\nblock 3 level=4 in=[0, 1] C=512 r=1\n"
FIXED_TAIL = "block 2 level=1 in=[0] C=64 r=1\nblock 3 level=4 in=[1, 2] C=512 r=1\n"  # lines 5-6
CLEF = "\N{MUSICAL SYMBOL G CLEF}"  # outside the BMP: 1 code point, 2 UTF-16 units, 4 UTF-8 bytes


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=[sys.executable, "-m", "anet", "lsp"]))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    capabilities = client_capabilities(request.param)
    result = await lsp_client.initialize_session(lsp.InitializeParams(capabilities=capabilities))
    offered = capabilities.general.position_encodings if capabilities.general else None
    chosen = result.capabilities.position_encoding or lsp.PositionEncodingKind.Utf16
    assert chosen in (offered or [lsp.PositionEncodingKind.Utf16]), f"{chosen} was not offered by {request.param}"
    request.node.stash[ENCODING] = chosen
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT_S)  # a stuck server fails, never hangs


@pytest.fixture
def encoding(request: pytest.FixtureRequest, client: LanguageClient) -> str:
    """The position encoding the server chose for this client (utf-8, utf-16 or utf-32)."""
    return request.node.stash[ENCODING]


def units(text: str, encoding: str) -> int:
    """How long ``text`` is in the client's position units."""
    codec = {"utf-8": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}[encoding]
    width = {"utf-8": 1, "utf-16": 2, "utf-32": 4}[encoding]
    return len(text.encode(codec)) // width


def position(text: str, line: int, column: int, encoding: str) -> tuple[int, int]:
    """The language's 1-based (line, column in code points) as an LSP (line, character)."""
    row = text.split("\n")[line - 1]
    return line - 1, units(row[: column - 1], encoding)


Shown = tuple[str, lsp.DiagnosticSeverity, tuple[int, int, int, int], str]


def expected(text: str, encoding: str) -> list[Shown]:
    """What `anet check` says about ``text``, in the client's positions: code, severity, range, message."""
    severity = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning}
    out = []
    for d in check_text(text).diagnostics:
        span = d.span or Span(1, 1, 1, 1)
        start = position(text, span.line, span.column, encoding)
        end = position(text, span.end_line, span.end_column, encoding)
        out.append((d.code, severity[d.severity], (*start, *end), d.message))
    return sorted(out)


def shown(diagnostics: Sequence[lsp.Diagnostic]) -> list[Shown]:
    """Published diagnostics in the shape of `expected`, the message cut to `anet check`'s first line
    (the server may add the hint below it)."""
    out = []
    for d in diagnostics:
        place = (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        assert d.source == "anet" and d.severity is not None
        out.append((str(d.code), d.severity, place, d.message.split("\n")[0]))
    return sorted(out)


async def until(client: LanguageClient, want: list[Shown], uri: str = URI) -> None:
    """Wait until the document's published diagnostics are ``want``; fail after WAIT_S (never hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while uri not in client.diagnostics or shown(client.diagnostics[uri]) != want:
        now = shown(client.diagnostics.get(uri, []))
        assert loop.time() < deadline, f"after {WAIT_S} s the client holds {now}, not {want}"
        await asyncio.sleep(0.02)


def change(
    client: LanguageClient, version: int, start: tuple[int, int], end: tuple[int, int], text: str, uri: str = URI
) -> None:
    """One incremental edit, as editors send them."""
    edit = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(start=lsp.Position(*start), end=lsp.Position(*end)), text=text
    )
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[edit]
        )
    )


def open_document(client: LanguageClient, text: str, uri: str = URI) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="anet", version=1, text=text)
        )
    )


@pytest.mark.asyncio
async def test_diagnostics_follow_incremental_edits_in_the_clients_position_units(
    client: LanguageClient, encoding: str
):
    open_document(client, BROKEN)
    want = expected(BROKEN, encoding)
    assert [code for code, *_ in want] == ["E131", "W140"]
    await until(client, want)

    text = HEAD + FIXED_TAIL
    change(client, 2, (4, 0), (6, 0), FIXED_TAIL)
    assert expected(text, encoding) == []
    await until(client, [])

    # A character outside the BMP where a setting should be: E100 spans it in the client's units.
    last = text.split("\n")[5]
    change(client, 3, (5, units(last, encoding)), (5, units(last, encoding)), f" {CLEF}")
    text = text.replace(last, f"{last} {CLEF}")
    want = expected(text, encoding)
    assert [(code, place) for code, _, place, _ in want] == [
        ("E100", (5, len(last) + 1, 5, len(last) + 1 + units(CLEF, encoding)))
    ]
    await until(client, want)

    # Deleting it by its range in the client's units must leave the file clean again.
    change(client, 4, (5, units(last, encoding)), (5, units(f"{last} {CLEF}", encoding)), "")
    await until(client, [])


# --- every feature, in each client's terms ---------------------------------------------------------

NET_URI = "file:///work/assemblenet50.anet"
EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "assemblenet50.anet").read_text(encoding="utf-8")
TOP = "block 14 level=4 in=[12@0.98922044, 13@0.8454615] C=512 r=2 stride=2"
NET = EXAMPLE.replace(TOP, f"{TOP}  # the top {CLEF}")  # positions after it differ by client


def offset(text: str, at: lsp.Position, encoding: str) -> int:
    """A client's position as an index into ``text`` (the inverse of `position`)."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: at.line])
    row, column, count = lines[at.line] if at.line < len(lines) else "", 0, 0
    while count < at.character and column < len(row):
        count, column = count + units(row[column], encoding), column + 1
    return start + column


def written(text: str, where: lsp.Range, encoding: str) -> str:
    return text[offset(text, where.start, encoding) : offset(text, where.end, encoding)]


def applied(text: str, edits: Sequence[lsp.TextEdit], encoding: str) -> str:
    """``text`` after the server's edits, as a client applies them (last first)."""
    spans = [(offset(text, e.range.start, encoding), offset(text, e.range.end, encoding), e.new_text) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def at(text: str, line_start: str, needle: str, encoding: str, after: bool = False) -> lsp.Position:
    """The client's position of ``needle`` (or just after it) on the line that starts with ``line_start``."""
    row, line = next((i, line) for i, line in enumerate(text.split("\n")) if line.startswith(line_start))
    column = line.index(needle) + (len(needle) if after else 0)
    return lsp.Position(line=row, character=units(line[:column], encoding))


@pytest.mark.asyncio
async def test_every_feature_answers_in_the_clients_terms(client: LanguageClient, encoding: str):
    capabilities = client.capabilities
    assert capabilities is not None and capabilities.text_document is not None
    doc = lsp.TextDocumentIdentifier(uri=NET_URI)
    open_document(client, NET, NET_URI)
    await until(client, [], NET_URI)
    on_12 = at(NET, "block 14", "12@", encoding)

    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=on_12))
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.kind in capabilities.text_document.hover.content_format
    assert hover.contents.value.startswith("**block 12**") and written(NET, hover.range, encoding) == "12"

    (definition,) = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc, position=on_12))
    assert definition.range.start == at(NET, "block 12", "12", encoding)

    context = lsp.ReferenceContext(include_declaration=True)
    found = await client.text_document_references_async(
        lsp.ReferenceParams(text_document=doc, position=on_12, context=context)
    )
    assert len(found) == 2 and {written(NET, r.range, encoding) for r in found} == {"12"}

    edit = await client.text_document_rename_async(lsp.RenameParams(text_document=doc, position=on_12, new_name="top3"))
    renamed = applied(NET, edit.changes[NET_URI], encoding)
    assert renamed == NET.replace("block 12 ", "block top3 ").replace("[12@", "[top3@")
    with pytest.raises(Exception, match="keyword"):
        await client.text_document_rename_async(lsp.RenameParams(text_document=doc, position=on_12, new_name="block"))

    (network,) = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc))
    assert capabilities.text_document.document_symbol.hierarchical_document_symbol_support
    assert isinstance(network, lsp.DocumentSymbol) and sum(len(level.children) for level in network.children) == 15

    inside = at(NET, "block 14", "in=[", encoding, after=True)
    offered = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc, position=inside))
    labels = {item.label for item in (offered.items if isinstance(offered, lsp.CompletionList) else offered)}
    assert {"12", "13"} <= labels and "14" not in labels

    hints = await inlay_hints(client, doc, NET)
    top = next(h for h in hints if h.position.line == on_12.line)
    assert top.position.character == units(TOP, encoding)  # after the node, before its comment

    untidy = NET.replace("C=512 r=2", "C=512   r=2")
    change(client, 2, (on_12.line, 0), (on_12.line + 1, 0), untidy.split("\n")[on_12.line] + "\n", NET_URI)
    options = lsp.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(text_document=doc, options=options)
    )
    assert applied(untidy, edits, encoding) == NET

    typo = NET.replace("[12@", "[120@")
    change(client, 3, (on_12.line, 0), (on_12.line + 1, 0), typo.split("\n")[on_12.line] + "\n", NET_URI)
    problem = lsp.Range(start=on_12, end=on_12)
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(text_document=doc, range=problem, context=lsp.CodeActionContext(diagnostics=[]))
    )
    (fix,) = [a for a in actions if isinstance(a, lsp.CodeAction) and a.kind == lsp.CodeActionKind.QuickFix]
    assert applied(typo, fix.edit.changes[NET_URI], encoding) == NET


async def inlay_hints(client: LanguageClient, doc: lsp.TextDocumentIdentifier, text: str) -> list[lsp.InlayHint]:
    """The document's inlay hints once the server's worker has counted its figures (none before)."""
    lines = text.split("\n")
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(lines), character=0))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not (
        hints := await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=doc, range=whole))
    ):
        assert loop.time() < deadline, f"no inlay hints after {WAIT_S} s"
        await asyncio.sleep(0.1)
    return list(hints)
