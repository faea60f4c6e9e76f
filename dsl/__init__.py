"""The .anet language: grammar loading, typed AST, validation with located diagnostics, printer.

from anet.dsl import load, format_network
net = load("examples/assemblenet50.anet")      # raises AnetError listing every problem
print(format_network(net))                      # canonical text
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .ast import Block, Budget, Edge, Header, Mutation, Network, Stem, Trivia
from .diagnostics import AnetError, Diagnostic, Severity, Span, render_json, render_text
from .hashing import architecture_hash
from .header import Retrained
from .parse import Checked, check_file, check_text, decode, load, parse
from .validate import graph, is_valid, validate

# The printer and the learned-weights rule (numpy) and the published-format converters load on first
# use (PEP 562): `anet check` needs none of them and must start fast.
_LAZY = {
    "format_network": "anet.dsl.printer",
    **dict.fromkeys(("file_weight", "with_learned_weights"), "anet.dsl.learned"),
    **dict.fromkeys(("PublishedFormatError", "from_published", "to_published"), "anet.dsl.published"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'anet.dsl' has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)


__all__ = [
    "AnetError",
    "Block",
    "Budget",
    "Checked",
    "Diagnostic",
    "Edge",
    "Header",
    "Mutation",
    "Network",
    "PublishedFormatError",
    "Retrained",
    "Severity",
    "Span",
    "Stem",
    "Trivia",
    "architecture_hash",
    "check_file",
    "check_text",
    "decode",
    "file_weight",
    "format_network",
    "from_published",
    "graph",
    "is_valid",
    "load",
    "parse",
    "render_json",
    "render_text",
    "to_published",
    "validate",
    "with_learned_weights",
]
