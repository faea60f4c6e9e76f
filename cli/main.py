"""Console entry points. Each command module registers its commands on the groups when it is imported,
which `anet` does only for the command it runs (anet.cli.app.COMMAND_MODULES)."""

import os

from ..host import openmp_environment

# Before torch is imported; inherited by worker processes; an explicit setting wins (anet.host).
openmp_environment(os.environ)

from .app import anet  # noqa: E402


def __getattr__(name: str) -> object:
    """`anetc`, the compiler's entry point, loads with its module (`anet` loads its commands lazily)."""
    if name == "anetc":
        from .compile import anetc

        return anetc
    raise AttributeError(f"module 'anet.cli.main' has no attribute {name!r}")


__all__ = ["anet"]  # and anetc, above
