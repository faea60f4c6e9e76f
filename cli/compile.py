"""`anetc compile`: an .anet file compiled to a PyTorch module."""

from __future__ import annotations

from pathlib import Path

import click

from ..compiler import compile_network
from ..files import write_atomic
from .app import AnetGroup
from .language import FILE_ARG, read_network


@click.group(cls=AnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
def anetc() -> None:
    """anetc: compile .anet architectures to PyTorch modules."""


@anetc.command(name="compile")
@FILE_ARG
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (default: stdout).")
def compile_(file: str, output: str | None) -> None:
    """Emit a PyTorch module (one nn.Module class and build_model()) for an .anet file."""
    network, text, label = read_network(file)
    source = compile_network(network, text, label)
    if output:
        write_atomic(Path(output), source)
        click.echo(f"wrote {output} ({network.header.name}: {len(network.nodes)} nodes)", err=True)
    else:
        click.echo(source, nl=False)
