"""`anetc compile` and `anet info`: the compiler's commands."""

from __future__ import annotations

from pathlib import Path

import click

from ..compiler import compile_network
from ..files import write_atomic
from .app import AnetGroup, anet
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


@anet.command()
@FILE_ARG
@click.option("--frames", type=click.IntRange(min=1), help="Clip length (default: the file's clip frames).")
@click.option("--size", type=click.IntRange(min=8), help="Clip height and width (default: the file's clip size).")
@click.option("--width", type=click.FloatRange(min=0, min_open=True), help="Channel multiplier (default: the file's).")
def info(file: str, frames: int | None, size: int | None, width: float | None) -> None:
    """Parameters and FLOPs per node and in total, for one clip of batch 1."""
    from ..compiler.summary import summarize, summary_table

    network, text, label = read_network(file)
    rows = summarize(network, text, label, frames=frames, size=size, width=width)
    summary_table(rows, network, frames or network.header.frames, size or network.header.size)
