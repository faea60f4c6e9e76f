"""Writing a figure: DOT text always, images through Graphviz's `dot` program when it is installed.

A missing `dot` is not an error: the DOT file is the figure in Graphviz's own language and can be
rendered later or elsewhere, so we write it, say clearly how to get the image, and succeed. Files are
replaced atomically so that a crash or a failing `dot` never leaves half an image behind.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import graphviz

from ..files import write_atomic

IMAGE_FORMATS: Final = ("svg", "png", "pdf")
DOT_FORMATS: Final = ("dot", "gv")
FORMATS: Final = (*IMAGE_FORMATS, *DOT_FORMATS)


class RenderError(Exception):
    """The figure could not be produced (unknown format, `dot` failed); the message says why."""


@dataclass(frozen=True)
class Written:
    """What `write_figure` did: the file it wrote and, when `dot` was missing, the message to show."""

    path: Path
    format: str
    warning: str | None = None


def format_for(output: Path, override: str | None = None) -> str:
    """The output format: the override, else the file's extension, else svg."""
    fmt = (override or output.suffix.lstrip(".") or "svg").lower()
    if fmt not in FORMATS:
        raise RenderError(f"cannot write {fmt!r} figures; use one of: {', '.join(FORMATS)}")
    return fmt


def dot_source(graph: graphviz.Digraph) -> str:
    """The DOT text of a figure. Deterministic: it depends only on the order things were added."""
    return graph.source


def dot_available() -> bool:
    return shutil.which("dot") is not None


def missing_dot_message(dot_path: Path, wanted: Path) -> str:
    return (
        f"Graphviz's dot program was not found; wrote {dot_path} — install graphviz "
        f"(apt-get install graphviz) to get {wanted}"
    )


def write_figure(graph: graphviz.Digraph, output: Path | str, fmt: str | None = None) -> Written:
    """Write `graph` to `output` in `fmt` (default: from the extension).

    Without `dot`, an image request writes `output` with a .dot suffix instead and returns the message
    to print; `graphviz.ExecutableNotFound` (dot vanished between the check and the call) is treated
    the same way. A `dot` that runs and fails raises RenderError.
    """
    output = Path(output)
    chosen = format_for(output, fmt)
    source = dot_source(graph)
    if chosen in DOT_FORMATS:
        write_atomic(output, source.encode("utf-8"))
        return Written(output, chosen)
    if dot_available():
        try:
            image = graphviz.Source(source).pipe(format=chosen, engine="dot")
        except graphviz.ExecutableNotFound:
            pass
        except graphviz.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode("utf-8", "replace").strip()
            raise RenderError(f"Graphviz's dot failed to render {output}: {detail or exc}") from None
        else:
            write_atomic(output, image)
            return Written(output, chosen)
    dot_path = output.with_suffix(".dot")
    write_atomic(dot_path, source.encode("utf-8"))
    return Written(dot_path, "dot", missing_dot_message(dot_path, output))
