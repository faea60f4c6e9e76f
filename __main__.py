"""`python -m anet ...` is the `anet` command."""

from .cli.main import anet

anet()
