"""The architecture hash ignores names, order, comments and weights, and nothing else."""

from __future__ import annotations

from pathlib import Path

from anet_strategies import networks
from hypothesis import given, settings
from hypothesis import strategies as st

from anet.dsl import Edge, architecture_hash, format_network, hashing, load, parse
from anet.dsl.ast import Peer

A50 = Path(__file__).parents[2] / "examples" / "assemblenet50.anet"


def renamed(network, prefix="n"):
    mapping = {n.id: f"{prefix}{i}" for i, n in enumerate(network.nodes)}
    nodes = []
    for n in network.nodes:
        update = {"id": mapping[n.id]}
        if n.kind == "block":
            update["inputs"] = tuple(e.model_copy(update={"source": mapping[e.source]}) for e in n.inputs)
            if n.peers is not None:
                update["peers"] = tuple(p.model_copy(update={"source": mapping[p.source]}) for p in n.peers)
        nodes.append(n.model_copy(update=update))
    return network.model_copy(update={"nodes": tuple(nodes)})


@settings(max_examples=60, deadline=None)
@given(networks(with_trivia=False, plus=True), st.randoms(use_true_random=False))
def test_ids_and_order_do_not_change_the_hash(network, rng):
    shuffled = list(network.nodes)
    # Any order that keeps each level after the levels below it is a valid file order.
    rng.shuffle(shuffled)
    shuffled.sort(key=lambda n: n.level)
    blocks = [
        n.model_copy(update={"inputs": tuple(rng.sample(list(n.inputs), len(n.inputs)))}) if n.kind == "block" else n
        for n in shuffled
    ]
    other = renamed(network.model_copy(update={"nodes": tuple(blocks)}), prefix="x")
    assert architecture_hash(other) == architecture_hash(network)


def test_peer_weights_and_a_written_default_do_not_change_the_hash():
    """Learned peer weights are weights; writing out the default peer list is the same network."""
    net = load(A50).model_copy(update={"header": load(A50).header.model_copy(update={"attention": "peer"})})
    b12 = net.node("12")
    written = b12.model_copy(update={"peers": tuple(Peer(source=n.id, weight=0.125) for n in net.peer_candidates(b12))})
    nodes = tuple(written if n.id == "12" else n for n in net.nodes)
    assert architecture_hash(net.model_copy(update={"nodes": nodes})) == architecture_hash(net)


def test_weights_comments_and_metadata_do_not_change_the_hash():
    net = load(A50)
    text = format_network(net).replace("0.9892204", "0.1").replace("  edges fixed\n", "  edges fixed\n  round 7\n")
    assert architecture_hash(parse("# note\n" + text)) == architecture_hash(net)


def test_every_architectural_change_changes_the_hash():
    net = load(A50)
    base = architecture_hash(net)
    b12 = net.node("12")
    variants = [
        b12.model_copy(update={"r": 2}),
        b12.model_copy(update={"channels": 128}),
        b12.model_copy(update={"stride": 1}),
        b12.model_copy(update={"inputs": b12.inputs[:-1]}),
        b12.model_copy(update={"inputs": (*b12.inputs, Edge(source="9", weight=0.5))}),
        b12.model_copy(update={"attention": "self"}),
        b12.model_copy(update={"attention": "peer"}),
        b12.model_copy(update={"attention": "peer", "peers": (Peer(source="0"), Peer(source="4"))}),
        b12.model_copy(update={"attention": "peer", "peers": (Peer(source="0"), Peer(source="5"))}),
    ]
    seen = {base}
    for variant in variants:
        nodes = tuple(variant if n.id == "12" else n for n in net.nodes)
        h = architecture_hash(net.model_copy(update={"nodes": nodes}))
        assert h not in seen
        seen.add(h)
    for change in ({"pool": "max"}, {"flow": "input"}, {"depth": 101}, {"attention": "self"}):
        assert architecture_hash(net.model_copy(update={"header": net.header.model_copy(update=change)})) not in seen


def _networkx_hash(graph, iterations):
    """The reference: networkx's own WL hash of the graph `hashing` builds its key from."""
    import warnings

    import networkx as nx

    g = nx.DiGraph()
    for node_id, label, _ in graph:
        g.add_node(node_id, label=label)
    for node_id, _, sources in graph:
        for source in sources:
            g.add_edge(source, node_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "directed WL hashes changed in 3.5"
        return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", iterations=iterations, digest_size=16)


def _graph(network):
    return tuple((n.id, n.label, tuple(e.source for e in n.inputs) if n.kind == "block" else ()) for n in network.nodes)


@settings(max_examples=60, deadline=None)
@given(networks(with_trivia=False), st.integers(1, 7))
def test_the_stdlib_wl_hash_is_networkx_s(network, iterations):
    graph = _graph(network)
    assert hashing.weisfeiler_lehman(graph, iterations=iterations) == _networkx_hash(graph, iterations)


def test_the_wl_hash_of_assemblenet50_is_networkx_s_and_the_published_key():
    graph = _graph(load(A50))
    assert hashing.weisfeiler_lehman(graph, iterations=6) == _networkx_hash(graph, 6)
    assert architecture_hash(load(A50)) == "82f93fb80ac18138"  # the key written in files and journals


def test_repeated_edges_and_self_loops_count_once_as_in_networkx():
    graph = (("a", "x", ()), ("b", "y", ("a", "a")), ("c", "y", ("b", "c")))
    assert hashing.weisfeiler_lehman(graph, iterations=3) == _networkx_hash(graph, 3)
