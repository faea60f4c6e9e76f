"""Metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from anet.training.metrics import Accumulator, average_precision, mean_average_precision, topk_correct
from anet.training.schedule import lr_factor


def test_topk_by_hand():
    logits = torch.tensor(
        [
            [0.1, 0.9, 0.0, 0.0, 0.0, 0.0, 0.0],  # label 1: top-1 hit
            [0.9, 0.1, 0.8, 0.7, 0.6, 0.5, 0.0],  # label 5: rank 5 -> top-5 hit only
            [0.9, 0.1, 0.8, 0.7, 0.6, 0.5, 0.0],  # label 6: rank 7 -> miss
            [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],  # label 3: hit
        ]
    )
    labels = torch.tensor([1, 5, 6, 3])
    assert topk_correct(logits, labels) == {1: 2, 5: 3}


def test_top5_with_fewer_classes_than_five_counts_every_row():
    logits = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert topk_correct(logits, torch.tensor([1, 2, 2])) == {1: 2, 5: 3}


def test_average_precision_by_hand():
    # ranking by score: A(+) B(-) C(+) D(-) E(+): precisions at positives 1/1, 2/3, 3/5
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])
    targets = torch.tensor([1, 0, 1, 0, 1])
    assert average_precision(scores, targets) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    assert math.isnan(average_precision(scores, torch.zeros(5)))


def test_mean_average_precision_skips_classes_without_positives():
    scores = torch.tensor([[0.9, 0.2, 0.5], [0.1, 0.8, 0.4], [0.5, 0.3, 0.6]])
    targets = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    # class 0: ranks 0.9(+), 0.5(+), 0.1(-) -> AP 1; class 1: 0.8(+) first -> AP 1; class 2: no positives
    assert mean_average_precision(scores, targets) == pytest.approx(1.0)
    targets = torch.tensor([[0, 0, 0], [1, 1, 0], [0, 0, 0]])
    # class 0: positive ranked last of 3 -> 1/3; class 1: positive first -> 1
    assert mean_average_precision(scores, targets) == pytest.approx((1 / 3 + 1) / 2)


def test_accumulator_fitness_is_top1_plus_top5():
    acc = Accumulator(multi_label=False)
    acc.add(torch.eye(6)[:4] * 5, torch.tensor([0, 1, 5, 5]), loss=0.5)
    result = acc.result()
    assert result["top1"] == 0.5 and result["top5"] == 1.0 and result["fitness"] == 1.5


def test_warmup_then_cosine():
    assert lr_factor(0, total=100, warmup=10) == pytest.approx(0.1)
    assert lr_factor(9, total=100, warmup=10) == pytest.approx(1.0)
    assert lr_factor(10, total=100, warmup=10) == pytest.approx(1.0)
    assert lr_factor(55, total=100, warmup=10) == pytest.approx(0.5)
    assert lr_factor(100, total=100, warmup=10) == pytest.approx(0.0)
