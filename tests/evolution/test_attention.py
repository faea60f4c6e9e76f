"""The attention operators (AssembleNet++): a block's attention switched, one peer added or dropped,
guided by the learned peer weights; drawn only in a search with an attention mode; peer weights
through the journal into the candidate files; twins take their peer weights too."""

from __future__ import annotations

import numpy as np
import pytest
from anet_strategies import networks
from evo_helpers import assert_consistent, comparable, events, run_search, synthetic
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from anet.dsl import Block, Header, format_network, is_valid, load, parse, validate
from anet.dsl.ast import Network, Peer
from anet.evolution.arch import Arch
from anet.evolution.attention import change_peer, peer_changeable, relative_weights, switch_attention
from anet.evolution.dedupe import transfer_peer_weights
from anet.evolution.mutate import as_candidate, child_header, make_child
from anet.evolution.nodes import merge, mergeable, split, splittable
from anet.evolution.random_arch import random_architecture
from anet.evolution.store import candidate_path

ATTENTION_KINDS = {"attention", "peers"}


def peer_parent(seed: int = 0) -> Network:
    """A random valid architecture of a peer search whose peer blocks list their peers with learned
    softmax weights (as a trained parent's file does)."""
    rng = np.random.default_rng(seed)
    arch, _ = random_architecture(Header(name="parent", classes=10), rng, attention="peer")
    for node in arch.blocks():
        if arch.attention_of(node.id) == "peer":
            candidates = arch.peer_candidates(node.id)
            weights = rng.dirichlet(np.ones(len(candidates)))
            node.peers = {c: float(max(w, 1e-3)) for c, w in zip(candidates, weights, strict=True)}
    network = arch.to_network()
    assert is_valid(network), [str(d) for d in validate(network) if d.is_error]
    return network


def replayed(parent: Network, mutations) -> Network:
    """The parent as a candidate with the recorded attention mutations done on the AST by hand."""
    network = as_candidate(parent)
    network = network.model_copy(update={"header": child_header(parent)})
    position = {n.id: i for i, n in enumerate(network.nodes)}
    for m in mutations:
        nodes = {n.id: n for n in network.nodes}
        if m.kind == "attention":
            block_id, mode = m.args
            own = None if mode == network.header.attention else mode
            changed = nodes[block_id].model_copy(update={"attention": own, "peers": None})
        elif m.kind == "peers":
            block_id, action, node = m.args
            current = [p.source for p in network.peers_of(nodes[block_id])]
            assert (node in current) == (action == "drop"), m
            sources = [*current, node] if action == "add" else [s for s in current if s != node]
            peers = tuple(Peer(source=s) for s in sorted(sources, key=position.__getitem__))
            changed = nodes[block_id].model_copy(update={"peers": peers})
        else:
            continue
        network = network.model_copy(
            update={"nodes": tuple(changed if n.id == changed.id else n for n in network.nodes)}
        )
    return network


# -- the operators ------------------------------------------------------------------------------


def test_switching_changes_one_block_and_back_to_the_header():
    network = load("examples/assemblenet50.anet")
    arch = Arch.from_network(as_candidate(network))
    assert switch_attention(arch, "9", "peer") == "peer"
    on = arch.to_network()
    assert [b.id for b in on.blocks if b.attention is not None] == ["9"]
    assert on.attention_of(on.node("9")) == "peer" and on.node("9").peers is None  # every node below
    assert is_valid(on)
    assert switch_attention(arch, "9", "peer") == "none"
    assert format_network(arch.to_network()) == format_network(as_candidate(network))
    # in a file whose header turns attention on, off is written on the block and on is the header's again
    plus = Arch.from_network(as_candidate(load("examples/assemblenet_plus_lite.anet")))
    assert switch_attention(plus, "4", "self") == "none"
    assert plus.nodes["4"].attention == "none"
    assert switch_attention(plus, "4", "peer") == "peer" and plus.nodes["4"].attention is None


def test_relative_weights_are_a_half_for_uniform_peers():
    assert relative_weights({"0": 0.25, "1": 0.25, "2": 0.25, "3": 0.25}) == dict.fromkeys("0123", 0.5)
    assert relative_weights({"0": None, "1": 0.9}) == {"0": 0.5, "1": 0.5}
    # written weights need not sum to 1: softmax renormalises them, and so does the rule
    assert relative_weights({"0": 0.1, "1": 0.3}) == pytest.approx(relative_weights({"0": 0.2, "1": 0.6}))
    weights = relative_weights({"0": 0.7, "1": 0.2, "2": 0.1})
    assert weights["0"] > 0.5 > weights["1"] > weights["2"] > 0


def test_guided_peer_change_drops_the_lowest_weighted_or_adds():
    arch = Arch.from_network(peer_parent(3))
    block = next(b for b in peer_changeable(arch) if len(arch.peers_of(b)) > 2)
    peers = arch.peers_of(block)
    lowest = min(peers, key=peers.__getitem__)
    # B = 1: every relative weight is at most B, so the lowest-weighted peer leaves
    assert change_peer(arch.copy(), block, np.random.default_rng(0), guided=True, threshold=1.0) == ("drop", lowest)
    # B = 0: every peer is kept, so an absent candidate joins; with none absent, the lowest leaves anyway
    assert change_peer(arch.copy(), block, np.random.default_rng(0), guided=True, threshold=0.0) == ("drop", lowest)
    del arch.nodes[block].peers[lowest]
    assert change_peer(arch, block, np.random.default_rng(0), guided=True, threshold=0.0) == ("add", lowest)
    assert lowest in arch.nodes[block].peers


@pytest.mark.parametrize("guided", [True, False])
def test_a_block_keeps_at_least_one_peer(guided):
    arch = Arch.from_network(peer_parent(1))
    block = peer_changeable(arch)[0]
    only = arch.peer_candidates(block)[0]
    arch.nodes[block].peers = {only: 0.01}
    for seed in range(20):
        trial = arch.copy()
        assert change_peer(trial, block, np.random.default_rng(seed), guided=guided, threshold=1.0)[0] == "add"
        assert only in trial.nodes[block].peers and len(trial.nodes[block].peers) == 2


@settings(max_examples=30, deadline=None)
@given(network=networks(with_trivia=False, plus=True), data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_split_and_merge_keep_peer_lists_valid(network, data, seed):
    """A twin joins every written peer list its original is on; a merged-away node's places go to
    the node it merged into: the child stays valid whatever the attention."""
    arch = Arch.from_network(as_candidate(network))
    arch.header = child_header(network)
    if data.draw(st.booleans()) and splittable(arch):
        first, second = split(arch, data.draw(st.sampled_from(splittable(arch))))
        for node in arch.blocks():
            if node.peers is not None:
                assert (first in node.peers) == (second in node.peers)
    else:
        assume(mergeable(arch))
        first, second = data.draw(st.sampled_from(mergeable(arch)))
        merge(arch, first, second, np.random.default_rng(seed))
        assert all(second not in (n.peers or {}) for n in arch.blocks())
    child = arch.to_network(keep_weights=False)
    assert not [d for d in validate(child) if d.is_error and d.code in {"E135", "E136", "E137", "E138", "E139"}]


# -- make_child -----------------------------------------------------------------------------------


def test_a_child_differs_from_its_parent_exactly_as_recorded():
    """Threshold 0 keeps every edge and adds none; of the children whose node mutations are all
    attention mutations, each is its parent with those mutations done by hand."""
    checked = 0
    for seed in range(40):
        parent = peer_parent(seed % 4)
        child, mutations = make_child(parent, np.random.default_rng(seed), threshold=0.0, attention="peer")
        assert is_valid(child)
        rest = [m.kind for m in mutations[1:]]
        if not rest or set(rest) - ATTENTION_KINDS:
            continue
        assert format_network(child) == format_network(replayed(parent, mutations)), mutations
        assert all(p.weight is None for b in child.blocks for p in b.peers or ())  # the child learns its own
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("strategy", ["guided", "standard"])
def test_attention_mutations_are_drawn_only_when_the_run_has_an_attention_mode(strategy):
    parent = peer_parent(2)
    drawn: dict[str, set[str]] = {"none": set(), "peer": set(), "self": set()}
    for mode, seen in drawn.items():
        for seed in range(60):
            _, mutations = make_child(parent, np.random.default_rng(seed), strategy=strategy, attention=mode)
            seen |= {m.kind for m in mutations} & ATTENTION_KINDS
    assert drawn == {"none": set(), "peer": ATTENTION_KINDS, "self": ATTENTION_KINDS}
    # and without attention a child is what it was before attention existed: the same draws
    for seed in range(10):
        assert make_child(parent, np.random.default_rng(seed), strategy=strategy) == make_child(
            parent, np.random.default_rng(seed), strategy=strategy, attention="none"
        )


def test_initial_architectures_get_attention_only_in_an_attention_search():
    header = Header(name="x", classes=10)
    for seed in range(10):
        plain, _ = random_architecture(header, np.random.default_rng(seed))
        assert all(n.attention is None for n in plain.blocks())
        peer, _ = random_architecture(header, np.random.default_rng(seed), attention="peer")
        assert format_network(peer.to_network(keep_weights=False)) != format_network(plain.to_network())
        assert {n.attention for n in peer.blocks()} <= {None, "peer"}
        # the architecture itself is the one drawn without attention
        for n in peer.blocks():
            n.attention = None
        assert format_network(peer.to_network()) == format_network(plain.to_network())


# -- the search ------------------------------------------------------------------------------------


def test_a_peer_search_records_learned_peer_weights_and_is_deterministic(tmp_path):
    run = tmp_path / "run"
    config = synthetic(attention="peer", population=6, rounds=12, seed=4)
    state = run_search(run, config)
    assert_consistent(run, state)
    kinds = {m.kind for c in state.candidates.values() for m in c.mutations}
    assert "attention" in kinds
    with_peers = [c for c in state.candidates.values() if c.peer_weights]
    assert with_peers
    for c in with_peers:
        network = load(candidate_path(run, c.id))
        for block_id, weights in c.peer_weights.items():
            peers = network.peers_of(network.node(block_id))
            assert [p.weight for p in peers] == pytest.approx(weights, rel=1e-6)
    # the journal holds them only where there are some
    evaluated = [e for e in events(run) if e["event"] == "evaluated"]
    assert all(("peer_weights" in e) == bool(state.candidates[e["id"]].peer_weights) for e in evaluated)
    again = run_search(tmp_path / "again", config)
    assert comparable(again) == comparable(state)
    assert [c.peer_weights for c in again.candidates.values()] == [c.peer_weights for c in state.candidates.values()]
    # a candidate file taken back to its state before its result is rewritten without a word
    c = with_peers[0]
    path = candidate_path(run, c.id)
    trained = path.read_text()
    network = parse(trained)
    bare = [
        b.model_copy(update={"peers": tuple(p.model_copy(update={"weight": None}) for p in b.peers)})
        if isinstance(b, Block) and b.peers
        else b
        for b in network.nodes
    ]
    path.write_text(format_network(network.model_copy(update={"nodes": tuple(bare)})))
    run_search(run, config)
    assert path.read_text() == trained
    assert not list(path.parent.glob("*.edited-*"))


def test_a_search_without_attention_journals_no_peer_weights(tmp_path):
    run = tmp_path / "run"
    state = run_search(run, synthetic(population=4, rounds=4, seed=2))
    assert all(not c.peer_weights for c in state.candidates.values())
    assert not [e for e in events(run) if "peer_weights" in e]
    assert not {m.kind for c in state.candidates.values() for m in c.mutations} & ATTENTION_KINDS
    assert all(b.attention is None for c in state.candidates.values() for b in parse(c.text).blocks)


def test_a_twin_takes_its_peer_weights_by_node():
    """The same architecture with other ids and in another order: each peer weight lands on the
    same (peer, block) pair."""
    text = """network a
  classes 10
  attention peer
stem 0 in=[rgb] C=64 r=1
stem 1 in=[flow] C=64 r=1
block 2 level=1 in=[0, 1] C=64 r=1
block 3 level=4 in=[2, 0] C=512 r=1 peers=[1, 2]
"""
    renamed = """network b
  classes 10
  attention peer
stem s in=[flow] C=64 r=1
stem t in=[rgb] C=64 r=1
block u level=1 in=[s, t] C=64 r=1
block v level=4 in=[t, u] C=512 r=1 peers=[s, u]
"""
    source, target = parse(text), parse(renamed)
    weights = {"2": [0.2, 0.8], "3": [0.3, 0.7]}  # block 2's peers: 0, 1; block 3's: 1, 2
    assert transfer_peer_weights(source, weights, target) == {"u": [0.8, 0.2], "v": [0.3, 0.7]}
    assert transfer_peer_weights(source, {}, target) == {}


def test_anet_evolve_attention_is_recorded_and_kept_on_resume(tmp_path):
    from click.testing import CliRunner

    from anet.cli.main import anet
    from anet.evolution.report import load_state

    run = tmp_path / "run"
    base = ["evolve", "--fitness", "synthetic", "--population", "3", "--rounds", "2"]
    result = CliRunner().invoke(anet, [*base, "--out", str(run), "--attention", "self"])
    assert result.exit_code == 0, result.output
    assert load_state(run).settings.attention == "self"
    resumed = CliRunner().invoke(anet, ["evolve", "--resume", str(run)])
    assert resumed.exit_code == 0, resumed.output
    assert load_state(run).settings.attention == "self"
    wrong = CliRunner().invoke(anet, [*base, "--out", str(tmp_path / "other"), "--attention", "both"])
    assert wrong.exit_code == 2 and "--attention" in wrong.output
