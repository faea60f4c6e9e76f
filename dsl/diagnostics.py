"""Located diagnostics: every problem in an .anet file is reported as file:line:column with the
source line and a caret, so that people and editors can jump to it. One renderer serves syntax
errors, field errors and graph errors alike."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, InstanceOf

from .codes import title


class Span(NamedTuple):
    """A source range, 1-based and end-exclusive in columns (Lark's convention). A plain tuple: the
    parser makes one per token, so it must be cheap."""

    line: int
    column: int
    end_line: int
    end_column: int


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(BaseModel):
    """One problem. `code` is stable (tools match on it); `message` says what is wrong with the
    value and the limit; `hint` says what to do about it."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    span: Annotated[Span, InstanceOf] | None = None
    severity: Severity = Severity.ERROR
    hint: str | None = None
    file: str | None = None

    def located(self, file: str | None) -> Diagnostic:
        return self.model_copy(update={"file": file})

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class AnetError(Exception):
    """Raised by `anet.dsl.parse` when a file has errors; carries all of them, not only the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic], source: str = "") -> None:
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__(render_text(self.diagnostics, source))


def error(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    title(code)  # registered in `codes.py`
    return Diagnostic(code=code, message=message, span=span, hint=hint)


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    title(code)
    return Diagnostic(code=code, message=message, span=span, hint=hint, severity=Severity.WARNING)


def sort_key(d: Diagnostic) -> tuple[int, int, str]:
    return (d.span.line, d.span.column, d.code) if d.span else (0, 0, d.code)


def render_one(d: Diagnostic, lines: Sequence[str]) -> str:
    where = d.file or "<input>"
    if d.span is not None:
        where = f"{where}:{d.span.line}:{d.span.column}"
    out = [f"{where}: {d.severity.value}[{d.code}]: {d.message}"]
    if d.span is not None and 1 <= d.span.line <= len(lines):
        text = lines[d.span.line - 1].rstrip("\n")
        gutter = f"{d.span.line:>5} | "
        width = d.span.end_column - d.span.column if d.span.end_line == d.span.line else 1
        caret = " " * (d.span.column - 1) + "^" + "~" * max(width - 1, 0)
        out += [gutter + text, " " * (len(gutter) - 2) + "| " + caret]
    if d.hint:
        out.append(f"      = hint: {d.hint}")
    return "\n".join(out)


def source_lines(text: str) -> list[str]:
    """The lines of a source as the grammar counts them (`_NL: /\\r?\\n/`): only a newline ends a line.
    `str.splitlines` also splits at a form feed, "\\x1c", "\\u2028" or a lone "\\r", which a comment may
    hold, and would put every later line number off."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def render_text(diagnostics: Iterable[Diagnostic], source: str = "") -> str:
    lines = source_lines(source)
    return "\n".join(render_one(d, lines) for d in diagnostics)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """Editors and tools read this: one object per diagnostic, positions flattened."""
    rows = []
    for d in diagnostics:
        row: dict[str, object] = {"file": d.file, "severity": d.severity.value, "code": d.code}
        if d.span is not None:
            row |= d.span._asdict()
        row |= {"message": d.message, "hint": d.hint}
        rows.append(row)
    return json.dumps(rows, indent=2)
