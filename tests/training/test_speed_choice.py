"""`--precision auto` measured on the network itself: both precisions timed on copies, the result kept
in the user's cache under the network, its shapes and the machine, and chosen by margin and accuracy."""

from __future__ import annotations

import json

import pytest
import torch
from tiny_training import SMALL
from tiny_training import TINY as SOURCE

from anet.compiler import compile_to_module
from anet.data.spec import parse_data_spec
from anet.dsl import architecture_hash, parse
from anet.evolution.fitness import FitnessTask, pinned_precision
from anet.training import TrainConfig, device, speed_choice, train
from anet.training.device import PINNED_CHOICE, choose_precision
from anet.training.speed_choice import MARGIN, TOLERANCE, Measurement, SpeedProbe, measure, measured, network_probe

MACHINE = "a test machine"


def probe(mode: speed_choice.Mode = "inference", frames: int = 4, size: int = 32) -> SpeedProbe:
    network = parse(SOURCE)
    model = compile_to_module(network, SOURCE).build_model(num_classes=5, width=0.0625).eval()
    return network_probe(model, network, mode, batch=2, frames=frames, size=size)


@pytest.mark.parametrize("mode", ["inference", "training"])
def test_measuring_times_both_on_copies_and_leaves_the_model_and_random_state_alone(mode):
    given = probe(mode)
    before = {k: v.clone() for k, v in given.model.state_dict().items()}
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    result = measure(given)
    assert torch.equal(torch.rand(3), expected_next)  # the measurement forked torch's random state
    assert result.fp32_s > 0 and result.bf16_s > 0
    after = given.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BN statistics included
    assert not given.model.training  # as given
    if mode == "inference":
        assert result.error is not None and result.error < TOLERANCE  # bf16 logits close to fp32's
    else:
        assert result.error is None  # training is not checked against fp32 logits


def test_the_cache_keeps_a_measurement_per_network_shape_and_machine(monkeypatch, session_cache):
    measuring = []
    result = Measurement(fp32_s=2.0, bf16_s=1.0, measured="2026-12-07")
    monkeypatch.setattr(speed_choice, "measure", lambda p: measuring.append(p.shapes) or result)
    first = probe(frames=4)
    said = []
    assert measured(first, MACHINE, on_measure=lambda: said.append("first")) == (result, False)
    assert measured(first, MACHINE, on_measure=lambda: said.append("again")) == (result, True)
    assert said == ["first"] and len(measuring) == 1  # not measured again
    measured(probe(frames=6), MACHINE)  # another clip
    measured(first, "another machine")
    measured(probe("training", frames=4), MACHINE)  # another use
    assert len(measuring) == 4
    stored = json.loads((session_cache / speed_choice.CACHE_FILE).read_text())
    assert first.key(MACHINE) in stored and len(stored) >= 4


def test_a_damaged_cache_is_measured_again_and_rewritten(monkeypatch, session_cache):
    path = session_cache / speed_choice.CACHE_FILE
    path.write_text("{not json")
    monkeypatch.setattr(speed_choice, "measure", lambda p: Measurement(fp32_s=1.0, bf16_s=1.0))
    result, cached = measured(probe(size=24), MACHINE)
    assert not cached and result.speedup == 1.0
    assert probe(size=24).key(MACHINE) in json.loads(path.read_text())


@pytest.mark.parametrize(
    ("fp32", "bf16", "error", "pays", "words"),
    [
        (2.0, 1.0, 0.01, True, "2.00x as fast"),
        (1.0, 1.0 / (MARGIN - 0.01), None, False, f"bf16 needs {MARGIN:.2f}x"),
        (2.0, 1.0, TOLERANCE * 2, False, "its logits differed by 10.0%"),
        (1.0, 2.0, None, False, "0.50x as fast"),
    ],
)
def test_bf16_must_be_faster_by_the_margin_and_close_enough(fp32, bf16, error, pays, words):
    result = Measurement(fp32_s=fp32, bf16_s=bf16, error=error)
    assert result.bf16_pays() is pays
    assert words in result.explain("inference")


@pytest.fixture
def native(monkeypatch):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "x86_64", "avx512_bf16": True})
    monkeypatch.delenv(PINNED_CHOICE, raising=False)


def test_auto_with_a_probe_follows_the_networks_measurement_and_says_so(native, monkeypatch):
    monkeypatch.setattr(device, "measured_bf16_speedup", lambda: pytest.fail("the probe convolution ran"))
    monkeypatch.setattr(speed_choice, "measure", lambda p: Measurement(fp32_s=1.0, bf16_s=1.25))
    slow = choose_precision("auto", torch.device("cpu"), probe(size=40))
    assert slow.dtype is None
    assert "a forward of this network at this shape ran 0.80x as fast" in slow.reason and "measured now" in slow.reason
    monkeypatch.setattr(speed_choice, "measure", lambda p: pytest.fail("measured twice"))
    again = choose_precision("auto", torch.device("cpu"), probe(size=40))
    assert again.dtype is None and "measured earlier on this machine" in again.reason
    assert choose_precision("fp32", torch.device("cpu"), probe(size=40)).reason == "--precision fp32"


def test_a_searchs_pinned_choice_rules_its_training_but_not_latency(native, monkeypatch):
    monkeypatch.setenv(PINNED_CHOICE, json.dumps({"precision": "fp32", "reason": "pinned by the search"}))
    monkeypatch.setattr(speed_choice, "measure", lambda p: Measurement(fp32_s=3.0, bf16_s=1.0))
    assert choose_precision("auto", torch.device("cpu"), probe("training", size=36)).reason == "pinned by the search"
    latency = choose_precision("auto", torch.device("cpu"), probe("inference", size=36))
    assert latency.dtype is torch.bfloat16 and "3.00x" in latency.reason


def test_a_search_pins_the_precision_its_first_candidate_measured(native, monkeypatch):
    monkeypatch.setattr(speed_choice, "measure", lambda p: Measurement(fp32_s=1.5, bf16_s=1.0))
    train = {"iterations": 1, "width": 0.0625, "frames": 4, "size": 32, "batch_size": 2}
    task = FitnessTask("c0", SOURCE, "proxy", "proxy", train, threads=1)
    said = json.loads(pinned_precision(task) or "{}")
    assert said["precision"] == "bf16"
    assert said["reason"].startswith("the search's first candidate: this CPU has AVX512_BF16 and a training step")
    assert pinned_precision(FitnessTask("c0", SOURCE, "synthetic", "proxy", train)) is None
    assert pinned_precision(FitnessTask("c0", SOURCE, "proxy", "proxy", {**train, "precision": "bf16"})) is None
    assert pinned_precision(FitnessTask("c0", "network broken", "proxy", "proxy", train)) is None


def test_training_measures_a_step_of_its_own_network_at_its_batch_and_clip(native, monkeypatch, capsys):
    seen: list[SpeedProbe] = []
    monkeypatch.setattr(device, "_announced", set())
    monkeypatch.setattr(speed_choice, "measure", lambda p: seen.append(p) or Measurement(fp32_s=2.0, bf16_s=1.0))
    config = TrainConfig(**{**SMALL, "precision": "auto", "eval_every": 0}, iterations=1)
    result = train(parse(SOURCE), SOURCE, parse_data_spec("proxy"), config)
    assert result.metrics  # it trained, in bf16 autocast
    (probe,) = seen
    assert probe.mode == "training" and probe.shapes == {"rgb": (SMALL["batch_size"], 3, 4, 32, 32)}
    assert probe.architecture == architecture_hash(parse(SOURCE))
    assert "bf16 autocast on cpu, because this CPU has AVX512_BF16 and a training step" in capsys.readouterr().err
