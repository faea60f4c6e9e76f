"""Line records -> typed AST, collecting every problem on the way.

Per-line problems (missing or repeated attributes, a stem reading a node, out-of-range values
reported by the pydantic models) become diagnostics at the attribute that caused them. A line with
problems still yields an unvalidated node (`model_construct`) so that the graph checks can run over
the whole file and report their findings in the same pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from ..paper import RAW_INPUTS
from .ast import Block, Edge, Header, Network, Peer, Stem, Trivia
from .diagnostics import Diagnostic, Span, error
from .grammar import (
    HeaderItems,
    HeaderLine,
    HeaderSettings,
    HeaderValue,
    Line,
    NetworkLine,
    NodeLine,
    RawEdge,
    Statement,
    Value,
)
from .header import HEADER_FIELDS, HEADER_KEYWORDS
from .values import MUTATION_KINDS


def _collapse(lines: list[str], *, strip_leading_blank: bool) -> tuple[str, ...]:
    """One blank line at most between comments; none where the printer puts its own."""
    out: list[str] = []
    for text in lines:
        if text == "" and ((not out and strip_leading_blank) or (out and out[-1] == "")):
            continue
        out.append(text)
    return tuple(out)


class _Builder:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.header_values: dict[str, Any] = {}
        self.header_spans: dict[str, Span] = {}
        self.header_trivia: dict[str, Trivia] = {}
        self.header_lines: dict[str, Span] = {}
        self.network_span: Span | None = None
        self.nodes: list[Stem | Block] = []
        self.pending: list[str] = []

    def report(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    # -- driving ----------------------------------------------------------------------------

    def feed(self, lines: Iterable[Line | None]) -> None:
        """`None` stands for a line that did not parse: it breaks comment attachment only."""
        for line in lines:
            if line is None:
                self.pending.clear()
                continue
            if line.statement is None:
                self.pending.append(line.comment if line.comment is not None else "")
                continue
            self.statement(line.statement, line.comment)

    def trivia(self, note: str | None, *, strip_leading_blank: bool, comments_only: bool = False) -> Trivia:
        before = [t for t in self.pending if t] if comments_only else self.pending
        trivia = Trivia(before=_collapse(before, strip_leading_blank=strip_leading_blank), note=note)
        self.pending = []
        return trivia

    def statement(self, st: Statement, note: str | None) -> None:
        match st:
            case NetworkLine():
                self.network_line(st, note)
            case NodeLine():
                node = self.node(st, self.trivia(note, strip_leading_blank=not self.nodes))
                if node is not None:
                    self.nodes.append(node)
            case _:
                self.header_field(st, self.trivia(note, strip_leading_blank=True, comments_only=True))

    # -- header -----------------------------------------------------------------------------

    def network_line(self, st: NetworkLine, note: str | None) -> None:
        if self.network_span is not None:
            self.report(
                "E102",
                "a file describes one network; `network` appears twice",
                st.keyword_span,
                f"the first is at line {self.network_span.line}",
            )
            self.pending.clear()
            return
        if self.header_values or self.nodes:
            self.report("E101", "`network NAME` must be the first statement", st.keyword_span)
        self.network_span = st.span
        self.header_values["name"] = st.name.value
        self.header_spans["name"] = st.name.span
        self.keep_trivia("network", self.trivia(note, strip_leading_blank=True))

    def keep_trivia(self, key: str, trivia: Trivia) -> None:
        if trivia:
            self.header_trivia[key] = trivia

    def header_field(self, st: HeaderLine, trivia: Trivia) -> None:
        keyword = st.keyword
        if keyword in self.header_lines:
            first = self.header_lines[keyword]
            self.report("E102", f"`{keyword}` is set twice", st.keyword_span, f"it is first set at line {first.line}")
            return
        if self.nodes:
            self.report("E101", f"`{keyword}` belongs to the header, before the first node", st.keyword_span)
        self.keep_trivia(keyword, trivia)
        self.header_lines[keyword] = st.span
        self.header_spans[keyword] = st.span
        match st:
            case HeaderValue(value=value):
                self.header_values[keyword] = value.value
                self.header_spans[keyword] = value.span
            case HeaderSettings(settings=settings):
                self.settings(keyword, settings, HEADER_KEYWORDS[keyword].nested)
            case HeaderItems(items=items):
                self.mutations(items)

    def settings(self, keyword: str, settings: tuple[tuple[Value, Value], ...], nested: str | None) -> None:
        """`key=value` pairs: each its own header field, or one dict under `nested` (`budget`)."""
        given: dict[str, int] = {}
        for key, value in settings:
            if key.value in given:
                self.report("E102", f"{keyword} `{key.value}` is given twice", key.span)
            given[key.value] = value.value
            self.header_spans[f"{nested}.{key.value}" if nested else key.value] = value.span
        if nested:
            self.header_values[nested] = given
        else:
            self.header_values.update(given)

    def mutations(self, items: tuple[Value, ...]) -> None:
        mutations = []
        for index, item in enumerate(items):
            kind, margs = item.value
            if kind.value not in MUTATION_KINDS:
                close = difflib.get_close_matches(kind.value, MUTATION_KINDS, n=1)
                self.report(
                    "E103",
                    f"unknown mutation '{kind.value}'",
                    kind.span,
                    f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(MUTATION_KINDS),
                )
                continue
            mutations.append({"kind": kind.value, "args": margs})
            self.header_spans[f"mutations.{index}"] = item.span
        self.header_values["mutations"] = mutations

    def header(self) -> Header | None:
        if self.network_span is None:
            self.report(
                "E101",
                "the file has no `network NAME` line",
                Span(line=1, column=1, end_line=1, end_column=2),
                "start the file with e.g. `network my_model` and a `classes N` line",
            )
            return None
        data = {**self.header_values, "trivia": self.header_trivia, "span": self.network_span}
        try:
            return Header.model_validate(data)
        except ValidationError as exc:
            self.pydantic_errors(exc, self.header_spans, missing_at=self.network_span)
            for field in HEADER_FIELDS:  # nested values cannot be kept unvalidated
                if field.nested or field.form == "items":
                    data.pop(field.nested or field.keyword, None)
            return Header.model_construct(**{k: v for k, v in data.items() if k in Header.model_fields})

    # -- nodes ------------------------------------------------------------------------------

    def node(self, st: NodeLine, trivia: Trivia) -> Stem | Block | None:
        node_id = st.id
        attrs: dict[str, tuple[Any, Span]] = {}
        for key, value, span in ((a.key, a.value, a.span) for a in st.attributes):
            if key in attrs:
                self.report(
                    "E111",
                    f"`{key}=` is given twice for node {node_id.value}",
                    span,
                    f"the first is at column {attrs[key][1].column}",
                )
                continue
            attrs[key] = (value, span)
        spans = {"id": node_id.span} | {_FIELDS.get(key, key): span for key, (_, span) in attrs.items()}
        required = ("in", "C", "r") if st.kind == "stem" else ("level", "in", "C", "r")
        for key in required:
            if key not in attrs:
                self.report("E110", f"{st.kind} {node_id.value} has no `{key}=`", st.span, _MISSING_HINTS[key])
        if st.kind == "stem":
            for key in ("level", "stride", "attention", "peers"):
                if key in attrs:
                    self.report("E112", f"`{key}=` does not apply to a stem", attrs[key][1], _STEM_HINTS[key])
        edges: tuple[RawEdge, ...] = attrs["in"][0] if "in" in attrs else ()
        data: dict[str, Any] = {
            "id": node_id.value,
            "trivia": trivia,
            "span": st.span,
            "attr_spans": spans,
            "channels": attrs.get("C", (Value(1, st.span), st.span))[0].value,
            "r": attrs.get("r", (Value(1, st.span), st.span))[0].value,
        }
        if st.kind == "stem":
            data["modality"] = self.stem_modality(node_id.value, edges, spans.get("inputs", st.span))
            return self.validated(Stem, data, spans)
        raw = [e for e in edges if e.source.value in RAW_INPUTS]
        for e in raw:
            self.report(
                "E135",
                f"block {node_id.value} reads raw input `{e.source.value}`",
                e.source.span,
                f"blocks read nodes; add `stem ID in=[{e.source.value}] ...` and read that stem",
            )
        if "in" in attrs and not edges:
            self.report(
                "E136",
                f"block {node_id.value} has no input",
                attrs["in"][1],
                "list at least one lower-level node, e.g. in=[0]",
            )
        data["level"] = attrs.get("level", (Value(1, st.span), st.span))[0].value
        data["stride"] = attrs["stride"][0].value if "stride" in attrs else 1
        data["inputs"] = _edge_records("inputs", edges, spans)
        if "attention" in attrs:
            data["attention"] = attrs["attention"][0].value
        if "peers" in attrs:
            data["peers"] = self.peers(node_id.value, attrs["peers"][0], spans)
        return self.validated(Block, data, spans)

    def peers(self, node_id: str, edges: tuple[RawEdge, ...], spans: dict[str, Span]) -> list[dict[str, Any]]:
        for e in edges:
            if e.source.value in RAW_INPUTS:
                self.report(
                    "E135",
                    f"block {node_id} lists raw input `{e.source.value}` as a peer",
                    e.source.span,
                    "peers are nodes; list the stem that reads it",
                )
        return _edge_records("peers", edges, spans)

    def stem_modality(self, node_id: str, edges: tuple[RawEdge, ...], span: Span) -> str:
        raw = [e for e in edges if e.source.value in RAW_INPUTS]
        nodes = [e for e in edges if e.source.value not in RAW_INPUTS]
        for e in nodes:
            close = difflib.get_close_matches(e.source.value, RAW_INPUTS, n=1, cutoff=0.5)
            self.report(
                "E134",
                f"stem {node_id} reads node {e.source.value}",
                e.source.span,
                f"did you mean '{close[0]}'?"
                if close
                else "stems read raw input (rgb, flow or object); use a block to read nodes",
            )
        if len(raw) > 1:
            self.report("E134", f"stem {node_id} reads {len(raw)} raw inputs; a stem reads exactly one", span)
        if not raw:
            if not nodes and edges == ():
                self.report(
                    "E134", f"stem {node_id} reads no raw input", span, "write in=[rgb], in=[flow] or in=[object]"
                )
            return "rgb"
        for e in raw:
            if e.weight is not None:
                self.report("E160", "a stem's raw input takes no weight", e.weight.span)
        return str(raw[0].source.value)

    def validated(self, model: type[Stem] | type[Block], data: dict[str, Any], spans: dict[str, Span]) -> Stem | Block:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.pydantic_errors(exc, spans, missing_at=data["span"])
            if model is Block:
                data = data | {"inputs": tuple(Edge.model_construct(**e) for e in data["inputs"])}
                if data.get("peers") is not None:
                    data["peers"] = tuple(Peer.model_construct(**p) for p in data["peers"])
            return model.model_construct(**data)

    def pydantic_errors(self, exc: ValidationError, spans: dict[str, Span], *, missing_at: Span | None) -> None:
        """pydantic reports every bad field at once; each goes back to where it was written."""
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            span = spans.get(loc) or spans.get(loc.split(".")[0]) or missing_at
            if err["type"] == "missing":
                line, _, key = loc.partition(".")
                if key:  # a setting of a `key=value` line: `retrained mean=1.3 runs=3`
                    self.report("E110", f"`{line}` has no `{key}=`", spans.get(line, missing_at))
                else:
                    self.report("E110", f"the header has no `{loc}` line", missing_at, _MISSING_HINTS.get(loc))
                continue
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "string_pattern_mismatch":
                message = f"{err['input']!r} is not allowed here ({_PATTERN_NAMES.get(loc, 'bad characters')})"
            elif err["type"] not in ("value_error", "assertion_error"):
                message = f"{loc} {err['input']!r}: {message}"
            self.report("E120", message, span)

    # -- result -----------------------------------------------------------------------------

    def network(self) -> Network | None:
        header = self.header()
        if header is None:
            return None
        trailing = _collapse(self.pending, strip_leading_blank=False)
        while trailing and trailing[-1] == "":
            trailing = trailing[:-1]
        # Nodes and header are validated (or reported) already; the graph rules come next.
        return Network.model_construct(header=header, nodes=tuple(self.nodes), trailing=trailing)


def _edge_records(field: str, edges: tuple[RawEdge, ...], spans: dict[str, Span]) -> list[dict[str, Any]]:
    """`in=[...]` or `peers=[...]` as Edge / Peer data (raw inputs, reported already, left out),
    each source and weight located for pydantic's errors (`inputs.2.weight`)."""
    records = []
    for e in edges:
        if e.source.value in RAW_INPUTS:
            continue
        index = len(records)
        spans[f"{field}.{index}.source"] = e.source.span
        if e.weight is not None:
            spans[f"{field}.{index}.weight"] = e.weight.span
        records.append(
            {
                "source": e.source.value,
                "weight": None if e.weight is None else e.weight.value,
                "span": e.source.span,
                "weight_span": None if e.weight is None else e.weight.span,
            }
        )
    return records


_FIELDS = {"C": "channels", "in": "inputs"}  # attribute spelling -> AST field
_MISSING_HINTS = {
    "in": "list the inputs, e.g. in=[rgb] for a stem or in=[0, 1] for a block",
    "C": "give the channel count, e.g. C=64",
    "r": "give the temporal dilation: r=1, 2, 4 or 8",
    "level": "give the block level 1-4, e.g. level=2",
    "classes": "add a line `classes N` (N = number of classes of your data set) under `network`",
}
_STEM_HINTS = {
    "level": "stems are level 0",
    "stride": "stems always downsample by 4 (conv stride 2, pool stride 2)",
    "attention": "attention gates a block's connections; a stem has none",
    "peers": "peers gate a block's connections; a stem has none",
}
_PATTERN_NAMES = {"id": "node ids are names or numbers", "name": "a Python identifier of at most 64 characters"}


def build(lines: Iterable[Line | None]) -> tuple[Network | None, list[Diagnostic]]:
    builder = _Builder()
    builder.feed(lines)
    network = builder.network()
    return network, builder.diagnostics
