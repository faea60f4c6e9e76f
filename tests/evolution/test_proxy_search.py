"""One tiny real search: every candidate trained briefly on the synthetic motion proxy task (the
paper's fitness, top-1 + top-5 on validation, at toy scale) and its learned weights written back.

It runs as `anet evolve` in a subprocess: training is native code, and a crash there must fail
this test, not end the test session. The subprocess gets OMP_WAIT_POLICY=PASSIVE: OpenMP threads
that spin while they wait make this toy training 20-30 times slower on a busy shared machine (the
search gives each candidate cpu_count / workers torch threads)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from evo_helpers import assert_consistent

from anet.evolution import EvolutionConfig
from anet.evolution.report import load_state
from anet.training import TrainConfig
from anet.training.config import PROXY_EDGE_LR

pytestmark = pytest.mark.slow  # trains every candidate of a search in a subprocess


def test_a_tiny_proxy_training_search(tmp_path):
    run = tmp_path / "run"
    options = {
        "--fitness": "proxy",
        "--data": "proxy:train=32,val=16,size=32",
        "--iterations": "3",
        "--batch-size": "4",
        "--width": "0.0625",
        "--frames": "4",
        "--size": "32",
        "--population": "3",
        "--rounds": "2",
        "--random-seed": "1",
        "--bn-batches": "2",
        "--deploy-shape": "4x32",  # every candidate's latency really measured, at a toy clip
        "--latency-runs": "2",
    }
    command = [sys.executable, "-m", "anet", "evolve", "--out", str(run), *(x for kv in options.items() for x in kv)]
    env = os.environ | {"OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    state = load_state(run)
    config = EvolutionConfig.model_validate(state.config)
    assert config.train == TrainConfig(
        iterations=3, batch_size=4, width=0.0625, frames=4, size=32, edge_lr=PROXY_EDGE_LR, bn_batches=2, progress=False
    )
    failures = {c.id: c.reason for c in state.candidates.values() if c.status != "evaluated"}
    assert not failures
    assert len(state.candidates) == 5
    for c in state.candidates.values():
        assert 0.0 <= c.fitness <= 2.0  # top-1 + top-5 accuracy
        assert c.metrics["fitness"] == c.fitness
        assert c.seconds > 0 or c.reused_from
        # learned weights (sigmoid values) for every block that fuses several inputs
        assert c.weights and all(0.0 <= w <= 1.0 for ws in c.weights.values() for w in ws)
        # its cost, measured by the search process on this CPU (not the synthetic stand-in)
        assert c.cost is not None and not c.cost.synthetic and c.cost.device.startswith("cpu: ")
        assert len(c.cost.runs_ms) == 2 and c.cost.latency_ms > 0 and c.cost.flops > 0 and c.cost.params > 0
        assert f"latency {round(c.cost.latency_ms, 3)!r}" in (run / "candidates" / f"{c.id}.anet").read_text()
    assert_consistent(run, state)  # anet check + compile of every file, lineage, best.anet
    assert (run / "fitness.png").is_file()


def test_a_tiny_peer_attention_search_trains_and_writes_back_peer_weights(tmp_path):
    """`--attention peer`: candidates with attention train on the proxy task (the object channel
    included in the data, though random architectures read RGB and flow), and each one's learned
    peer weights, softmax probabilities, come back into its file."""
    from anet.dsl import load

    run = tmp_path / "run"
    options = {
        "--attention": "peer",
        "--data": "proxy:train=16,val=8,size=32,objects=3",
        "--iterations": "2",
        "--batch-size": "4",
        "--width": "0.0625",
        "--frames": "4",
        "--size": "32",
        "--population": "2",
        "--rounds": "2",
        "--random-seed": "3",
        "--bn-batches": "0",
    }
    command = [sys.executable, "-m", "anet", "evolve", "--out", str(run), "--no-measure"]
    command += [x for kv in options.items() for x in kv]
    env = os.environ | {"OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    state = load_state(run)
    assert {c.id: c.reason for c in state.candidates.values() if c.status != "evaluated"} == {}
    attended = 0
    for c in state.candidates.values():
        network = load(run / "candidates" / f"{c.id}.anet")
        peer_blocks = {b.id for b in network.blocks if network.peers_of(b)}
        assert set(c.peer_weights) == peer_blocks
        for block_id, weights in c.peer_weights.items():
            assert sum(weights) == pytest.approx(1.0, abs=1e-4)  # one softmax per block
            assert [p.weight for p in network.peers_of(network.node(block_id))] == pytest.approx(weights, rel=1e-6)
        attended += bool(peer_blocks)
    assert attended
    assert_consistent(run, state)
