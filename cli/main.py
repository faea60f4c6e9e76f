"""Console entry points. Importing the command modules registers their commands on the group."""

from anet.cli import language  # noqa: F401  (registers check, fmt, import, export)
from anet.cli.app import anet

__all__ = ["anet"]
