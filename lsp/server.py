"""The language server: one pygls `LanguageServer` whose features live in this package's modules,
each registered here by one line.

Documents are checked with `anet.dsl.check_text`, the function behind `anet check`, once per
version (`documents.py`), and the result is published as LSP diagnostics (`publishing.py`).
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from .. import __version__
from . import actions, completion, costs, formatting, hover, inlay, publishing, references, symbols
from .publishing import DEBOUNCE_S

SERVER_NAME = "anet-lsp"

__all__ = ["DEBOUNCE_S", "SERVER_NAME", "create_server"]


def create_server() -> LanguageServer:
    server = LanguageServer(SERVER_NAME, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
    publishing.register(server)
    references.register(server)
    figures = costs.serve(server)
    hover.register(server, figures)
    inlay.register(server, figures)
    completion.register(server)
    formatting.register(server)
    symbols.register(server)
    actions.register(server)
    return server
