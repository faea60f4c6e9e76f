"""`anet info`: a network's parameters and FLOPs, per node and in total."""

from __future__ import annotations

import click

from .app import anet
from .language import FILE_ARG, read_network


@anet.command()
@FILE_ARG
@click.option("--frames", type=click.IntRange(min=1), help="Clip length (default: the file's clip frames).")
@click.option("--size", type=click.IntRange(min=8), help="Clip height and width (default: the file's clip size).")
@click.option("--width", type=click.FloatRange(min=0, min_open=True), help="Channel multiplier (default: the file's).")
def info(file: str, frames: int | None, size: int | None, width: float | None) -> None:
    """Parameters and FLOPs per node and in total, for one clip of batch 1."""
    from ..cost import summarize, summary_table

    network, text, label = read_network(file)
    rows = summarize(network, text, label, frames=frames, size=size, width=width)
    summary_table(rows, network, frames or network.header.frames, size or network.header.size)
