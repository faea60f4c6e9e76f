"""anet: a language, compiler and evolutionary search for AssembleNet-style video networks.

The repository's top-level folders are this package's subpackages (`dsl/` is `anet.dsl`, ...).

The Python API (docs/api.md) loads lazily, so that `import anet` and the `anet check`
command stay fast: `anet.parse`, `anet.compile`, `anet.create_model`, `anet.list_models`,
`anet.load_run`, `anet.train`, `anet.evaluate`, `anet.pick` (anet/api.py), and the search's
`anet.Search`, `anet.EvolutionConfig`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "parse": "anet.api",
    "compile": "anet.api",
    "create_model": "anet.api",
    "list_models": "anet.api",
    "load_run": "anet.api",
    "train": "anet.api",
    "evaluate": "anet.api",
    "pick": "anet.api",
    "Search": "anet.evolution",
    "EvolutionConfig": "anet.evolution",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'anet' has no attribute {name!r}")
    return getattr(import_module(_API[name]), name)
