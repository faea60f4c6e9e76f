"""anet's diagnostics as LSP diagnostics: the same codes, messages, severities and places as
`anet check`, with 0-based positions (the language's spans are 1-based, end column exclusive)."""

from __future__ import annotations

from lsprotocol import types as lsp

from ..dsl.diagnostics import Diagnostic, Severity, Span

SOURCE = "anet"

_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning}


def to_range(span: Span | None) -> lsp.Range:
    """A span as an LSP range; a diagnostic without a place sits at the file's start."""
    if span is None:
        return lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
    start = lsp.Position(line=max(span.line - 1, 0), character=max(span.column - 1, 0))
    end = lsp.Position(line=max(span.end_line - 1, 0), character=max(span.end_column - 1, 0))
    return lsp.Range(start=start, end=end)


def to_lsp(diagnostic: Diagnostic) -> lsp.Diagnostic:
    message = diagnostic.message if diagnostic.hint is None else f"{diagnostic.message}\nhint: {diagnostic.hint}"
    return lsp.Diagnostic(
        range=to_range(diagnostic.span),
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
    )
