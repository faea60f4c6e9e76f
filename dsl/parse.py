"""The front door of the language: text or file -> validated `Network`, or every diagnostic.

The whole file is parsed in one go; only when that fails is it parsed again line by line, so that
every syntax error is reported at once (the language has one statement per line, which makes
line-level recovery exact). Graph checks run only on files without syntax errors: a node lost to
a syntax error would otherwise show up again as an "unknown node" everywhere it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput

from .ast import Network
from .builder import build
from .constants import MAX_INT_DIGITS
from .diagnostics import AnetError, Diagnostic, Span, error, sort_key, source_lines
from .grammar import Line, NumberTooLongError, parser
from .hashing import architecture_hash
from .syntax_errors import syntax_diagnostic
from .validate import check_hash, validate


@dataclass(frozen=True)
class Checked:
    """The outcome of reading a file: the network when it has no errors, and all diagnostics.
    `parsed` is the network as far as it could be read (lines with syntax errors left out, graph
    errors kept): an editor still outlines and navigates a file while it is wrong."""

    network: Network | None
    diagnostics: list[Diagnostic]
    source: str
    parsed: Network | None = None

    @property
    def ok(self) -> bool:
        return self.network is not None


def _lines(text: str) -> tuple[list[Line | None], list[Diagnostic]]:
    grammar = parser()
    try:
        return grammar.parse(text), []  # type: ignore[return-value]
    except (UnexpectedInput, NumberTooLongError):
        pass
    lines: list[Line | None] = []
    errors: list[Diagnostic] = []
    for number, raw in enumerate(source_lines(text), start=1):
        try:
            parsed = _parse_line(grammar, raw, number)
        except UnexpectedInput as exc:
            errors.append(syntax_diagnostic(grammar, exc))
            lines.append(None)
            continue
        except NumberTooLongError as exc:
            hint = f"an integer has at most {MAX_INT_DIGITS} digits"
            errors.append(error("E120", f"{exc} is out of range", exc.span, hint))
            lines.append(None)
            continue
        lines.append(parsed[-1])
    return lines, errors


def _parse_line(grammar: Lark, raw: str, number: int) -> list[Line]:
    """One line parsed on its own with the lexer counting from its line number, so positions are
    the file's. (Prefixing `number - 1` newlines did the same in quadratic time: a pasted file of
    10,000 bad lines took minutes to check.)"""
    interactive = grammar.parse_interactive(raw + "\n")
    interactive.lexer_thread.state.line_ctr.line = number
    return interactive.resume_parse()  # type: ignore[no-any-return]


def check_text(text: str, filename: str | None = None) -> Checked:
    """Never raises for bad input: returns diagnostics instead (the CLI and editors use this)."""
    if not text.endswith("\n"):
        text += "\n"
    lines, diagnostics = _lines(text)
    network, build_errors = build(lines)
    diagnostics += build_errors
    if network is not None and not diagnostics:
        diagnostics += validate(network)
        if not any(d.is_error for d in diagnostics) and network.header.hash is not None:
            diagnostics += check_hash(network, architecture_hash(network))
    diagnostics = sorted((d.located(filename) for d in diagnostics), key=sort_key)
    ok = network is not None and not any(d.is_error for d in diagnostics)
    return Checked(network if ok else None, diagnostics, text, parsed=network)


def parse(text: str, filename: str | None = None) -> Network:
    """The validated network described by `text`; raises `AnetError` with every problem."""
    checked = check_text(text, filename)
    if checked.network is None:
        raise AnetError([d for d in checked.diagnostics if d.is_error], checked.source)
    return checked.network


def decode(data: bytes, filename: str | None = None) -> str:
    """UTF-8 text, or an `AnetError` that points at the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        span = Span(line, column, line, column + 1)
        problem = error(
            "E001", f"byte 0x{data[exc.start]:02x} is not UTF-8 text", span, "save the file as UTF-8"
        ).located(filename)
        raise AnetError([problem]) from None


def check_file(path: str | Path) -> Checked:
    path = Path(path)
    try:
        text = decode(path.read_bytes(), str(path))
    except AnetError as exc:
        return Checked(None, exc.diagnostics, "")
    return check_text(text, str(path))


def load(path: str | Path) -> Network:
    """Read and validate an .anet file; raises `AnetError` (with file:line:column) when it is bad."""
    path = Path(path)
    return parse(decode(path.read_bytes(), str(path)), str(path))
