"""`anet lsp`: a Language Server Protocol server for .anet files, on pygls.

The server speaks LSP over stdio (or TCP) and answers from the language's own modules: the same
parser, validator and printer as `anet check` and `anet fmt`, so an editor shows exactly what the
command line says. Its diagnostics path imports no torch.
"""

from __future__ import annotations

from .server import SERVER_NAME, create_server

__all__ = ["SERVER_NAME", "create_server"]
