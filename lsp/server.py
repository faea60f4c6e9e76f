"""The language server: one pygls `LanguageServer` whose features live in this package's modules.

Documents are checked on open, change and save with `anet.dsl.check_text`, the function behind
`anet check`, and the result is published as LSP diagnostics.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..dsl import check_text
from .diagnostics import to_lsp

SERVER_NAME = "anet-lsp"


def publish(server: LanguageServer, uri: str) -> None:
    """Check the document as it is now and send every diagnostic at once (none clears them)."""
    document = server.workspace.get_text_document(uri)
    checked = check_text(document.source, document.path or uri)
    server.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[to_lsp(d) for d in checked.diagnostics]
        )
    )


def create_server() -> LanguageServer:
    server = LanguageServer(SERVER_NAME, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    return server
