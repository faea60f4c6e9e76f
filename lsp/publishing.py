"""When the editor is told what `anet check` says: at once on open and save; on a change, at once
when the document was not checked in the last `DEBOUNCE_S`, otherwise once when that much time has
passed since its last check, for the text as it is then (so a typist sees a single edit's
diagnostics in milliseconds, and a fast typist in a large file waits for one check per `DEBOUNCE_S`,
not one per key); and never again once the document is closed (its diagnostics are cleared then, as
the protocol asks of a server that owns them).
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
_CHECKED: WeakKeyDictionary[LanguageServer, dict[str, float]] = WeakKeyDictionary()  # loop time a check ended


def publish(ls: LanguageServer, uri: str) -> None:
    """Send every diagnostic of the document as it is now, at once (none clears them)."""
    _cancel(ls, uri)
    doc = document(ls, uri)
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=all_to_lsp(doc))
    )
    _CHECKED.setdefault(ls, {})[uri] = asyncio.get_running_loop().time()


def publish_soon(ls: LanguageServer, uri: str) -> None:
    """After a change: publish now if the last check ended `DEBOUNCE_S` ago or more, else queue
    one check for then (a check already queued will read the newest text: nothing to add)."""
    if uri in _PENDING.get(ls, {}):
        return
    loop = asyncio.get_running_loop()
    checked = _CHECKED.get(ls, {}).get(uri)
    if checked is None or loop.time() - checked >= DEBOUNCE_S:
        publish(ls, uri)
        return
    _PENDING.setdefault(ls, {})[uri] = loop.call_at(checked + DEBOUNCE_S, _publish_reporting, ls, uri)


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
    _CHECKED.get(ls, {}).pop(uri, None)
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
        publish_soon(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        clear(ls, params.text_document.uri)
