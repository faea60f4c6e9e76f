"""Connection-learning-guided evolution (paper section 3.2), the first public implementation.

Files: `arch.py` (mutable graph), `edges.py` (equation 2 and the random baseline), `nodes.py`
(split, merge, dilation), `repair.py`, `random_arch.py` (initial population), `mutate.py` (a child
from a parent), `search.py` (the loop), `state.py` + `journal.py` (durable state), `store.py`
(the run directory), `fitness.py`, `workers.py` (local processes, Ray), `report.py`.
"""

from anet.evolution.config import EvolutionConfig
from anet.evolution.search import Search, best_network
from anet.evolution.state import Candidate, SearchState

__all__ = ["Candidate", "EvolutionConfig", "Search", "SearchState", "best_network"]
