"""anet's AssembleNet++ parameter counts equal the authors' TensorFlow code's (with its original TF1
behaviour), part by part, against the counts TensorFlow recorded in benchmarks/tf_plus_counts.json."""

from __future__ import annotations

import pytest

from benchmarks.plus_parity import BUILDS, GROUPS, anet_counts, category, parity_tables, tf_trainable
from benchmarks.tf_plus_parity import load_counts


@pytest.mark.parametrize("build", BUILDS, ids=lambda b: b.tf1)
def test_anet_counts_equal_tensorflow_with_the_tf1_behaviour_part_by_part(build):
    models = {m.spec.name: m for m in load_counts().models}
    ours, theirs = anet_counts(build), tf_trainable(models[build.tf1])
    assert {g: ours[g] for g in GROUPS} == {g: theirs[g] for g in GROUPS}
    assert sum(ours.values()) == models[build.tf1].trainable


def test_the_tf2_port_differs_where_the_issue_says():
    """The table does not just restate equal numbers: the TF2 build of the peer networks has fewer."""
    text = parity_tables(load_counts())
    models = {m.spec.name: m for m in load_counts().models}
    assert models["full_asnp50_peer"].trainable < models["full_asnp50_peer+tf1"].trainable
    assert "+0 |" in text and "-2,605,952" in text


def test_every_parameter_name_has_a_category():
    with pytest.raises(ValueError, match="no category"):
        category("flow.theta", set())
    assert category("fuse_9.gates.3.logits", set()) == "peer softmax"
    assert category("fuse_9.fusion.lifts.25.weight", set()) == "fusion 1x1"
    assert category("node_0.conv.conv.weight", {"0"}) == "stems"
