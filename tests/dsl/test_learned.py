"""Learned weights as a file holds them (anet.dsl.learned): float32, a saturated sigmoid kept inside
(0, 1) so that the file reads back, and one rule for a training run's `learned.anet` and a search's
candidate files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tiny_training import RGB_ONLY as NETWORK

from anet.dsl import architecture_hash, format_network, parse
from anet.dsl.learned import SATURATED, file_weight, with_learned_weights
from anet.evolution.state import Candidate
from anet.evolution.store import candidate_text
from anet.training.run_dir import write_learned

# Saturated both ways, float64 values float32 rounds, and one already exact.
WEIGHTS = {"a": [0.0, 1.0], "b": [0.1234567891, 0.5], "d": [1e-9, 0.99999999]}


def float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def test_a_weight_is_rounded_to_float32_and_kept_strictly_inside_0_1():
    assert file_weight(0.1234567891) == float32(0.1234567891) != 0.1234567891
    assert file_weight(0.5) == 0.5
    assert file_weight(0.0) == file_weight(-1.0) == SATURATED[0] == float32(1e-6)
    assert file_weight(1.0) == file_weight(0.99999999) == SATURATED[1] == 1.0 - 2.0**-24
    assert file_weight(1e-9) == float32(1e-9) > 0.0  # small is not saturated: only 0 itself is


def test_a_network_with_learned_weights_reads_back_with_them():
    network = with_learned_weights(parse(NETWORK), WEIGHTS)
    text = format_network(network)
    again = parse(text)
    assert again == network
    assert {b.id: b.weights for b in again.blocks if b.weights} == {
        block: tuple(file_weight(w) for w in values) for block, values in WEIGHTS.items()
    }
    assert next(b for b in again.blocks if b.id == "c").inputs[0].weight is None  # one input: no weight


def test_a_weight_per_input_or_the_network_is_not_written():
    with pytest.raises(ValueError):
        with_learned_weights(parse(NETWORK), {"a": [0.5]})


def test_a_run_and_a_search_write_the_same_learned_network(tmp_path: Path):
    """`learned.anet` of a training run and the file of an evaluated candidate differ in the header
    only (the search adds parent, round, fitness, mutations and hash), not in one weight's digits."""
    network = parse(NETWORK)
    learned = write_learned(tmp_path, network, WEIGHTS).read_text(encoding="utf-8")
    candidate = Candidate(
        id="c00003",
        round=2,
        parent="c00001",
        hash=architecture_hash(network),
        text=format_network(network),
        mutations=(),
        status="evaluated",
        fitness=0.5,
        weights=WEIGHTS,
    )
    searched = candidate_text(candidate)
    head, body = searched.split("\n\n", 1)
    assert "fitness 0.5" in head and "@" in body
    assert learned == format_network(network).split("\n\n", 1)[0] + "\n\n" + body
