"""Shared set-up of the search tests: `evo_helpers` (next to this file) importable by name, also in
the worker processes a search spawns (they inherit sys.path), so its evaluate functions pickle."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
