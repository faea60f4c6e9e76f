"""benchmarks/tf_plus_parity.py without TensorFlow: the committed counts load into the records and
agree with themselves (rows against Keras' totals, deviations against the rows), the command without
TensorFlow explains how to set it up and exits 0, and the worker still runs as a script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def parity(benchmark_module):
    return benchmark_module("tf_plus_parity")


@pytest.fixture
def counts(parity):
    return parity.load_counts()


def test_the_committed_counts_hold_every_model_the_script_builds(parity, counts):
    assert [m.spec for m in counts.models] == parity.MODELS
    assert parity.TfCounts.from_json(json.loads(counts.to_text())) == counts


def test_each_model_s_rows_in_the_model_add_up_to_keras_count(counts):
    for model in counts.models:
        kept = [r for r in model.rows if r.in_model]
        assert sum(r.trainable for r in kept) == model.trainable, model.spec.name
        assert sum(r.non_trainable for r in kept) == model.non_trainable, model.spec.name


def test_the_object_stem_counts_among_the_stems_that_share_128_filters(counts):
    assert counts.model("asn50_peer").stem_filters == 128 // 4
    assert counts.model("full_asnp50_peer").stem_filters == 128 // 5
    assert counts.model("full_asnp50_peer").channels[4] == 151  # the object stem: a max-pool of the classes


def test_summing_same_channel_inputs_restores_exactly_the_gates_tf_drops(parity, counts):
    found = {(d.number, d.model): d.anet_minus_tf for d in parity.deviations(counts)}
    for base in ("asn50_peer", "asn50_self", "full_asnp50_peer"):
        assert found[2, base] == parity.dropped(counts.model(base), "attention_gate") > 0


def test_trainable_peer_weights_are_one_per_peer_per_connection_tf_keeps(parity, counts):
    found = {(d.number, d.model): d.anet_minus_tf for d in parity.deviations(counts)}
    for base in ("asn50_peer", "full_asnp50_peer"):
        model = counts.model(base)
        gates = {(r.node, r.source) for r in model.rows if r.category == "attention_gate" and r.in_model}
        assert found[1, base] == sum(len(model.peers[node]) for node, _ in gates)


def test_attention_none_differs_from_assemblenet_by_the_single_input_blocks_gates(parity, counts):
    none, plain = counts.model("asn50_none"), counts.model("asn50_assemblenet")
    gates = [r for r in none.rows if r.category == "attention_gate"]
    assert {r.node for r in gates} == {4, 5}  # asn50's two blocks of one input
    assert plain.total - none.total == -sum(r.parameters for r in gates)
    assert counts.model("asn50_none_string").total == counts.model("asn50_self").total


def test_without_tensorflow_the_command_says_how_to_set_it_up_and_exits_0():
    env = {k: v for k, v in os.environ.items() if k not in ("ANET_TF_PYTHON", "ANET_TF_CODE")}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.tf_plus_parity"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("no TensorFlow given (--tf-python and --tf-code")
    assert 'pip install "tensorflow-cpu==2.20.*" "tf-models-official==2.20.*"' in done.stdout


def test_the_worker_runs_as_a_script_without_the_package():
    # `python assemblenet_plus_counts.py` in TensorFlow's venv; without --tf-code it stops in argparse, after
    # every import at the top of the file (tf_plus_parity's records included) has run.
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tf_workers" / "assemblenet_plus_counts.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "the following arguments are required: --tf-code" in done.stderr
