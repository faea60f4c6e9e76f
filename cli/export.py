"""`anet export`: an architecture or a trained run in another format.

- `--format json` (the default): the authors' published flat-list JSON of the architecture, one
  node per line; `anet import` reads it back.
- `--format onnx` / `torchscript`: the network with its weights, to run without anet (see
  anet.training.export for what stays dynamic). From RUN_DIR, the trained weights at the run's
  width, classes and clip shape; from FILE.anet, `--checkpoint` weights or a fresh initialisation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..dsl import to_published
from ..files import write_atomic
from .app import anet
from .language import read_network


def readable_json(value: dict[str, Any]) -> str:
    """Indented by key, each list item (a node, a node's weights) on one line."""
    lines = []
    for index, (key, items) in enumerate(value.items()):
        end = "," if index < len(value) - 1 else ""
        if isinstance(items, list) and items:
            body = ",\n".join(f"  {json.dumps(item)}" for item in items)
            lines.append(f" {json.dumps(key)}: [\n{body}\n ]{end}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(items)}{end}")
    return "{\n" + "\n".join(lines) + "\n}\n"


@anet.command()
@click.argument("source", metavar="RUN_DIR|FILE.anet", type=click.Path(exists=True, allow_dash=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "onnx", "torchscript"]),
    default="json",
    show_default=True,
    help="json: the published architecture format; onnx, torchscript: the network with its weights.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (json: stdout).")
@click.option("--checkpoint", help="RUN_DIR: last (default) or best; FILE.anet: a checkpoint file (else untrained).")
@click.option("--frames", type=click.IntRange(min=1), help="Frames of the example clip (any count runs).")
@click.option(
    "--size",
    "sizes",
    multiple=True,
    type=click.IntRange(min=8),
    help="Frame size in pixels (default: the run's or the file's). TorchScript: repeat for several.",
)
@click.option("--width", type=click.FloatRange(min=0, min_open=True), help="FILE.anet: channel multiplier.")
def export(
    source: str,
    fmt: str,
    output: str | None,
    checkpoint: str | None,
    frames: int | None,
    sizes: tuple[int, ...],
    width: float | None,
) -> None:
    """Write an architecture as published JSON, or a trained run as ONNX or TorchScript."""
    if fmt == "json":
        network = _network(source)
        text = readable_json(to_published(network))
        if output:
            write_atomic(Path(output), text)
        else:
            click.echo(text, nl=False)
        return
    if not output:
        raise click.UsageError(f"--format {fmt} writes a binary file: give -o FILE")
    from ..training.export import export_model

    model, network, clip = _trained(source, checkpoint, width)
    if fmt == "onnx" and len(sizes) > 1:
        raise click.UsageError("an ONNX export has one frame size: give --size once")
    export_model(model, network, Path(output), fmt, frames=frames or clip[0], sizes=sizes or (clip[1],))  # type: ignore[arg-type]
    click.echo(f"wrote {output}", err=True)


def _network(source: str):  # noqa: ANN202 - Network
    if Path(source).is_dir():
        from ..dsl import parse
        from ..training.run_info import read_run_info

        info, text = read_run_info(Path(source))
        return parse(text, str(Path(source) / info.network_file))
    return read_network(source)[0]


def _trained(source: str, checkpoint: str | None, width: float | None) -> tuple[Any, Any, tuple[int, int]]:
    """(model in eval mode, network, (frames, size) it was trained at)."""
    if Path(source).is_dir() or checkpoint:
        from ..training.trained import load_trained

        run = load_trained(source, checkpoint, read=read_network)
        model = run.model(width=None if run.info else width)  # a run is exported at the width it trained at
        header = run.network.header
        return model, run.network, (run.frames or header.frames, run.size or header.size)
    from ..compiler import compile_to_module

    network, text, label = read_network(source)
    model = compile_to_module(network, text, label).build_model(width=width)
    click.echo(f"anet: warning: no --checkpoint: {label} is exported with untrained weights", err=True)
    return model.eval(), network, (network.header.frames, network.header.size)
