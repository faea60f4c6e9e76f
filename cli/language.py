"""`anet check`, `anet fmt`, `anet import`: the language's own commands (`anet export` is in export.py)."""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

import click

from ..dsl import AnetError, Network, architecture_hash, check_text, decode, render_json, render_text
from ..files import write_atomic
from .app import CommandFailed, anet

# The printer (numpy) and the published-format converters load in the commands that use them: `anet
# check` runs on every save in an editor and must start fast (tests/cli/test_startup.py).

FILE_ARG = click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
FILES = click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True))


def _read(name: str) -> tuple[str, str]:
    """The text of a file argument (`-` is standard input); bad UTF-8 is a located AnetError."""
    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    label = "<stdin>" if name == "-" else name
    return decode(data, label), label


def read_network(name: str) -> tuple[Network, str, str]:
    """(network, text, label) of a file argument; diagnostics end the command with exit 1."""
    text, label = _read(name)
    result = check_text(text, label)
    if result.network is None:
        raise AnetError(result.diagnostics, result.source)
    if result.diagnostics:  # warnings only
        click.echo(render_text(result.diagnostics, result.source), err=True)
    return result.network, text, label


@anet.command()
@FILES
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object per diagnostic, for editors and tools.",
)
def check(files: tuple[str, ...], fmt: str) -> None:
    """Validate .anet files; report every problem with file:line:column. Exit 1 on errors."""
    failed = False
    every = []
    for name in files:
        text, label = _read(name)
        result = check_text(text, label)
        every += result.diagnostics
        failed |= not result.ok
        if fmt == "text":
            if result.diagnostics:
                click.echo(render_text(result.diagnostics, result.source), err=True)
            if result.network is not None:
                net = result.network
                click.echo(
                    f"{label}: ok ({len(net.stems)} stems, {len(net.blocks)} blocks, hash {architecture_hash(net)})"
                )
    if fmt == "json":
        click.echo(render_json(every))
    raise SystemExit(1 if failed else 0)


@anet.command()
@FILES
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not canonical.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print what would change as a unified diff; change nothing (dry run)."
)
@click.option("--rehash", is_flag=True, help="Rewrite a `hash` line that no longer matches the architecture.")
def fmt(files: tuple[str, ...], check_only: bool, show_diff: bool, rehash: bool) -> None:
    """Rewrite .anet files in canonical form, keeping comments. A file with errors is left untouched.

    The canonical text is read back before it is written and must describe the same network; a
    symbolic link is kept (its target is rewritten) and so are the file's permissions."""
    from ..dsl.printer import format_network

    failed = broken = False
    for name in files:
        text, label = _read(name)
        result = check_text(text, label)
        if result.network is None:
            click.echo(render_text(result.diagnostics, result.source), err=True)
            failed = True
            continue
        network = result.network
        if rehash and network.header.hash is not None:
            network = network.model_copy(
                update={"header": network.header.model_copy(update={"hash": architecture_hash(network)})}
            )
        canonical = format_network(network)
        if check_text(canonical, label).network != network:
            click.echo(
                f"anet: internal error: the canonical form of {label} does not read back as the same network; "
                "the file is left unchanged. This is a bug in anet; please report it with the file",
                err=True,
            )
            broken = True
            continue
        if name == "-":
            click.echo(canonical, nl=False)
            continue
        if canonical == text:
            continue
        if show_diff:
            click.echo("".join(difflib.unified_diff(text.splitlines(True), canonical.splitlines(True), label, label)))
        if check_only:
            click.echo(f"would reformat {label}", err=True)
            failed = True
        elif not show_diff:  # --diff is a dry run, as in black and ruff
            target = Path(os.path.realpath(name))  # through symbolic links: rewrite the file they name
            write_atomic(target, canonical)  # keeps the file's permissions
            click.echo(f"reformatted {label}", err=True)
    raise SystemExit(3 if broken else 1 if failed else 0)


@anet.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True, help="Network name; also selects the entry in a file of several.")
@click.option("--entry", help="Entry to read when it differs from --name (e.g. assemblenet50).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (default: stdout).")
@click.option("--classes", default=400, show_default=True, type=click.IntRange(min=1), help="Number of classes.")
@click.option("--object-classes", type=click.IntRange(min=1), help="Segmentation classes for an object stem.")
@click.option("--edges", type=click.Choice(["learned", "fixed"]), help="Default: fixed when weights are given.")
@click.option(
    "--attention",
    type=click.Choice(["none", "self", "peer"]),
    default="none",
    show_default=True,
    help="AssembleNet++ attention on every connection (the lists do not say; the TF code takes it as a flag).",
)
def import_(
    source: str,
    name: str,
    entry: str | None,
    output: str | None,
    classes: int,
    object_classes: int | None,
    edges: str | None,
    attention: str,
) -> None:
    """Convert the authors' published flat-list JSON (structure + edge_weights) into .anet."""
    from ..dsl.printer import format_network
    from ..dsl.published import PublishedFormatError, from_published
    from ..dsl.validate import validate

    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CommandFailed(f"{source}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    key = entry or name
    if isinstance(data, dict) and "structure" not in data:
        if key not in data:
            options = ", ".join(k for k, v in data.items() if isinstance(v, dict))
            raise CommandFailed(f"{source} has no entry {key!r}; it has: {options} (choose with --entry)")
        data = data[key]
    try:
        network = from_published(
            data, name=name, classes=classes, object_classes=object_classes, edges=edges, attention=attention
        )
    except PublishedFormatError as exc:
        raise CommandFailed(f"{source}: {exc}") from None
    for problem in validate(network):  # errors were refused above: what is left are warnings
        click.echo(f"{source}: warning[{problem.code}]: {problem.message}", err=True)
    text = format_network(network)
    if output:
        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)
