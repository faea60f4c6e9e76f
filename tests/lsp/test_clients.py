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
    await lsp_client.shutdown_session()


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


async def until(client: LanguageClient, want: list[Shown]) -> None:
    """Wait until the document's published diagnostics are ``want``; fail after WAIT_S (never hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while URI not in client.diagnostics or shown(client.diagnostics[URI]) != want:
        now = shown(client.diagnostics.get(URI, []))
        assert loop.time() < deadline, f"after {WAIT_S} s the client holds {now}, not {want}"
        await asyncio.sleep(0.02)


def change(client: LanguageClient, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    """One incremental edit, as editors send them."""
    edit = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(start=lsp.Position(*start), end=lsp.Position(*end)), text=text
    )
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=URI, version=version), content_changes=[edit]
        )
    )


def open_document(client: LanguageClient, text: str) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=URI, language_id="anet", version=1, text=text)
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
