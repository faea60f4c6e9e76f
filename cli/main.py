"""Console entry points. Importing the command modules registers their commands on the groups."""

from anet.cli import compile as _compile_commands  # noqa: F401  (registers anetc compile, anet info)
from anet.cli import evolve as _evolve_commands  # noqa: F401  (registers anet evolve, anet runs)
from anet.cli import language  # noqa: F401  (registers check, fmt, import, export)
from anet.cli import render as _render_commands  # noqa: F401  (registers anet render)
from anet.cli import train as _train_commands  # noqa: F401  (registers anet train, eval, flow extract)
from anet.cli.app import anet
from anet.cli.compile import anetc

__all__ = ["anet", "anetc"]
