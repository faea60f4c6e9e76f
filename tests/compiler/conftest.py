"""Shared helpers of the generated-model tests: example files, header variants, compiled modules."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from realistic_weights import realistic_eval as move_from_initialisation
from torch import nn

from anet.compiler import compile_to_module
from anet.dsl import parse

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def with_header(text: str, **settings: str) -> str:
    """``text`` with header settings replaced or added, e.g. ``with_header(t, edges="learned", pool="max")``."""
    for key, value in settings.items():
        line = re.compile(rf"^[ \t]+{key}[ \t].*$", re.MULTILINE)
        if line.search(text):
            text = line.sub(f"  {key} {value}", text, count=1)
        else:
            text = re.sub(r"^(network .*)$", rf"\1\n  {key} {value}", text, count=1, flags=re.MULTILINE)
    return text


def compile_text(text: str, label: str = "variant.anet") -> types.ModuleType:
    """Compile .anet source text (validated by the parser) into an imported generated module."""
    return compile_to_module(parse(text, label), text, label)


@pytest.fixture(scope="session")
def example_text() -> Callable[[str], str]:
    def read(name: str) -> str:
        return (EXAMPLES / f"{name}.anet").read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="session")
def variant() -> Callable[..., types.ModuleType]:
    """Compile an example with some header settings changed: ``variant("assemblenet50", pool="max")``."""

    def build(name: str, **settings: str) -> types.ModuleType:
        text = with_header((EXAMPLES / f"{name}.anet").read_text(encoding="utf-8"), **settings)
        return compile_text(text, f"{name}.anet")

    return build


@pytest.fixture(scope="session")
def realistic_eval() -> Callable[..., nn.Module]:
    return move_from_initialisation


@pytest.fixture(scope="session")
def header() -> Callable[..., str]:
    """``header(text, **settings)``: see :func:`with_header`."""
    return with_header
