"""Graphviz figures of .anet architectures, of the search space around them and of evolution runs.

Built from the AST, never from a traced model:

    from anet.dsl import load
    from anet.render import model_graph, supergraph_figure, lineage_graph, read_run, write_figure

    net = load("examples/assemblenet50.anet")
    write_figure(model_graph(net), "a50.svg")               # the paper's Figure 1 style
    write_figure(supergraph_figure(net), "a50_super.svg")   # Figure 5: every allowed edge
    write_figure(lineage_graph(read_run("runs/r1")), "lineage.svg")  # Figure 2: the evolution tree

`write_figure` picks the format from the extension (svg, png, pdf; dot/gv for the DOT text) and,
without Graphviz's `dot` program, writes the .dot file and returns the message saying so.
"""

from .lineage import Candidate, Lineage, lineage_graph, read_run
from .model import model_graph
from .output import RenderError, Written, write_figure
from .supergraph import allowed_edges, supergraph, supergraph_figure

__all__ = [
    "Candidate",
    "Lineage",
    "RenderError",
    "Written",
    "allowed_edges",
    "lineage_graph",
    "model_graph",
    "read_run",
    "supergraph",
    "supergraph_figure",
    "write_figure",
]
