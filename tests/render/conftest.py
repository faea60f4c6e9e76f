"""A reader for the DOT text anet.render writes, so tests check structure rather than substrings.

It understands what the `graphviz` package emits: one statement per line, subgraphs opened by
`subgraph NAME {`, attributes in brackets with quoted, HTML (<...>) or bare values.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from anet.dsl import Network, load

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


_TOKEN = re.compile(r'\s*(->|[\[\]{}=;,]|"(?:[^"\\]|\\.)*"|[A-Za-z0-9_.\-#]+)')


def _tokens(line: str) -> list[str]:
    out, i = [], 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        if line[i] == "<":  # HTML value: balanced angle brackets
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(line[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(line[i:j])
            i = j
            continue
        m = _TOKEN.match(line, i)
        assert m, f"cannot read DOT at {line[i:]!r}"
        out.append(m.group(1))
        i = m.end()
    return out


def _value(token: str) -> str:
    if token.startswith('"'):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _attrs(tokens: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if "[" not in tokens:
        return attrs
    body = tokens[tokens.index("[") + 1 : tokens.index("]")]
    i = 0
    while i < len(body):
        attrs[_value(body[i])] = _value(body[i + 2])
        i += 3
    return attrs


@dataclass
class Dot:
    graph: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    subgraphs: dict[str, dict[str, object]] = field(default_factory=dict)
    node_subgraph: dict[str, str] = field(default_factory=dict)

    def visible_edges(self) -> list[tuple[str, str, dict[str, str]]]:
        return [e for e in self.edges if e[2].get("style") != "invis"]


def parse_dot(source: str) -> Dot:
    dot = Dot()
    stack: list[str] = []
    for raw in source.splitlines()[1:]:
        tokens = _tokens(raw)
        if not tokens:
            continue
        if tokens[0] == "subgraph":
            name = _value(tokens[1])
            stack.append(name)
            dot.subgraphs[name] = {"attrs": {}, "nodes": []}
        elif tokens[0] == "}":
            if stack:
                stack.pop()
        elif len(tokens) >= 3 and tokens[1] == "=" and "[" not in tokens:
            if stack:
                dot.subgraphs[stack[-1]]["attrs"][tokens[0]] = _value(tokens[2])  # type: ignore[index]
            else:
                dot.graph[tokens[0]] = _value(tokens[2])
        elif tokens[0] in ("graph", "node", "edge"):
            if tokens[0] == "graph" and not stack:
                dot.graph |= _attrs(tokens)
        elif len(tokens) > 1 and tokens[1] == "->":
            dot.edges.append((_value(tokens[0]), _value(tokens[2]), _attrs(tokens)))
        else:
            name = _value(tokens[0])
            dot.nodes[name] = _attrs(tokens)
            if stack:
                dot.subgraphs[stack[-1]]["nodes"].append(name)  # type: ignore[union-attr]
                dot.node_subgraph[name] = stack[-1]
    return dot


@pytest.fixture
def a50() -> Network:
    return load(EXAMPLES / "assemblenet50.anet")


@pytest.fixture
def dot_of():
    """Parse DOT text (or a graphviz graph's source) into a `Dot`."""
    return lambda graph: parse_dot(graph if isinstance(graph, str) else graph.source)


@pytest.fixture
def dot_program() -> None:
    """Skip a test that needs Graphviz's `dot` where it is not installed."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
