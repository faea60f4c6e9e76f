"""Console entry points. Importing the command modules registers their commands on the groups."""

import os

# OpenMP threads that spin while they wait make small models crawl when other processes share the
# cores (a proxy candidate took 50 s instead of 2 s next to other jobs); passive waiting avoids it.
# Set before torch is imported, inherited by worker processes; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from anet.cli import compile as _compile_commands  # noqa: F401  (anetc compile, anet info)
from anet.cli import evolve as _evolve_commands  # noqa: F401  (anet evolve, anet runs)
from anet.cli import export as _export_command  # noqa: F401  (anet export)
from anet.cli import language  # noqa: F401  (anet check, fmt, import)
from anet.cli import predict as _predict_command  # noqa: F401  (anet predict)
from anet.cli import render as _render_commands  # noqa: F401  (anet render)
from anet.cli import train as _train_commands  # noqa: F401  (anet train, eval, flow extract)
from anet.cli.app import anet
from anet.cli.compile import anetc

__all__ = ["anet", "anetc"]
