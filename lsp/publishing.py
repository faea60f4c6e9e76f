"""When the editor is told what `anet check` says: at once on open and save, `DEBOUNCE_S` after the
last change while the user types (each keystroke cancels the check it would have queued, so a fast
typist in a large file waits for one check, not one per key), and never again once the document is
closed (its diagnostics are cleared then, as the protocol asks of a server that owns them).
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

from lsprotocol import types as lsp
from pygls.exceptions import FeatureNotificationError
from pygls.lsp.server import LanguageServer

from .diagnostics import all_to_lsp
from .documents import document, forget

DEBOUNCE_S = 0.15

_PENDING: WeakKeyDictionary[LanguageServer, dict[str, asyncio.TimerHandle]] = WeakKeyDictionary()


def publish(ls: LanguageServer, uri: str) -> None:
    """Send every diagnostic of the document as it is now, at once (none clears them)."""
    _cancel(ls, uri)
    doc = document(ls, uri)
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=all_to_lsp(doc))
    )


def publish_later(ls: LanguageServer, uri: str) -> None:
    """Publish `DEBOUNCE_S` from now unless another change comes first."""
    _cancel(ls, uri)
    _PENDING.setdefault(ls, {})[uri] = asyncio.get_running_loop().call_later(DEBOUNCE_S, _publish_reporting, ls, uri)


def _publish_reporting(ls: LanguageServer, uri: str) -> None:
    """A timer's callback has no client waiting on it: a failure is shown to the user as pygls
    shows a failed notification handler's, and the server carries on."""
    _PENDING.get(ls, {}).pop(uri, None)
    try:
        publish(ls, uri)
    except Exception as exc:  # a bug in anet: reported, never fatal to the server
        ls.report_server_error(exc, FeatureNotificationError)


def clear(ls: LanguageServer, uri: str) -> None:
    """A closed document: no pending check, no cached parse, no diagnostics left in the editor."""
    _cancel(ls, uri)
    forget(ls, uri)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _cancel(ls: LanguageServer, uri: str) -> None:
    pending = _PENDING.get(ls, {}).pop(uri, None)
    if pending is not None:
        pending.cancel()


def register(server: LanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        publish_later(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        clear(ls, params.text_document.uri)
