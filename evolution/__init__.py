"""Connection-learning-guided evolution (paper section 3.2), the first public implementation.

Files: `config.py` (the search's settings, the paper's constants as defaults), `arch.py` (mutable
graph), `edges.py` (equation 2 and the random baseline), `nodes.py` (split, merge, dilation),
`attention.py` (AssembleNet++: a block's attention switched, a peer added or dropped),
`repair.py`, `random_arch.py` (initial population), `mutate.py` (a child from a parent), `search.py`
(the loop), `dedupe.py` (equivalent graphs trained once), `events.py` (the journal's typed events),
`journal.py` (the file) + `state.py` (a replay of it: durable state), `store.py` (the run directory),
`fitness.py`, `measuring.py` (a candidate's deployment cost, as a worker task), `workers.py` (local
processes, Ray), `objectives.py` (how candidates rank: paper fitness, MnasNet's reward, NSGA-II) on
`pareto.py` (fronts, crowding, hypervolume), `report.py` (tables and plots of a run), `pick.py` (the
network to deploy from a run, within a latency or FLOPs budget).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import EvolutionConfig

if TYPE_CHECKING:
    from .search import Search, best_network
    from .state import Candidate, PopulationRound, SearchState

__all__ = ["Candidate", "EvolutionConfig", "PopulationRound", "Search", "SearchState", "best_network"]

# The search is imported on first use: the command line's option declarations need only the
# settings, and `anet --help` should not wait for the search engine.
_LAZY = {
    "Search": "search",
    "best_network": "search",
    "Candidate": "state",
    "PopulationRound": "state",
    "SearchState": "state",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"anet.evolution.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'anet.evolution' has no attribute {name!r}")
