"""`python -m anet ...` is the `anet` command."""

from anet.cli.main import anet

anet()
