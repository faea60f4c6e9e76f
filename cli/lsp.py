"""`anet lsp`: the language server for editors (see docs/editors.md)."""

from __future__ import annotations

import click

from .app import anet


@anet.command(name="lsp")
@click.option("--stdio", "transport", flag_value="stdio", default=True, help="Speak LSP on stdin/stdout (default).")
@click.option(
    "--tcp",
    "address",
    metavar="HOST:PORT",
    help="Listen on a TCP port instead (e.g. 127.0.0.1:2087), for editors that connect to a running server.",
)
def lsp_command(transport: str, address: str | None) -> None:
    """Language server for .anet files: diagnostics as you type, hover, go to definition, rename,
    completion, formatting. Editors start it (see docs/editors.md)."""
    from ..lsp import create_server

    server = create_server()
    if address is None:
        server.start_io()
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{address!r} is not HOST:PORT, e.g. 127.0.0.1:2087", param_hint="--tcp")
    server.start_tcp(host, int(port))
