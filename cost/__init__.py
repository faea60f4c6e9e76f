"""What a network costs to run: its parameters and FLOPs per node (`anet info`), measured on the
compiled model rather than derived from the .anet file, so that they count what the compiler
actually built.

    from anet.cost import summarize
    rows = summarize(network, text, frames=8, size=112)      # NodeCost(node, kind, parameters, flops)
"""

from .flops import NodeCost, summarize
from .table import summary_table

__all__ = ["NodeCost", "summarize", "summary_table"]
