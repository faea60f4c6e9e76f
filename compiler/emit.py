"""AST -> Python source: lower to the IR, then render the one template (placement only)."""

from __future__ import annotations

from functools import cache

import jinja2

from ..dsl import Network
from . import pyformat
from .ir import lower


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("anet.compiler", "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.globals.update(statement=pyformat.statement, signature=pyformat.signature, comment=pyformat.comment)
    return env.get_template("model.py.jinja")


def compile_network(network: Network, source_text: str, source_path: str | None = None) -> str:
    """The generated module's source. Same input, byte-identical output."""
    return _template().render(ir=lower(network, source_text, source_path))
