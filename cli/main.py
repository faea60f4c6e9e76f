"""Console entry points. Each command module registers its commands on the groups when it is imported,
which `anet` does only for the command it runs (anet.cli.app.COMMAND_MODULES)."""

import os

# OpenMP threads that spin while they wait make small models crawl when other processes share the
# cores (a proxy candidate took 50 s instead of 2 s next to other jobs); passive waiting avoids it.
# Set before torch is imported, inherited by worker processes; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .app import anet


def __getattr__(name: str) -> object:
    """`anetc`, the compiler's entry point, loads with its module (`anet` loads its commands lazily)."""
    if name == "anetc":
        from .compile import anetc

        return anetc
    raise AttributeError(f"module 'anet.cli.main' has no attribute {name!r}")


__all__ = ["anet"]  # and anetc, above
