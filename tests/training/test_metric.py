"""`--metric`: what `fitness` is (and so what ranks `best.pt` and search candidates)."""

from __future__ import annotations

import pytest
from tiny_training import SMALL, TINY

from anet.evolution.fitness import FitnessTask, proxy_fitness
from anet.training import TrainConfig
from anet.training.metrics import score

METRICS = {"loss": 2.0, "samples": 8.0, "top1": 0.25, "top5": 0.5, "fitness": 0.75}


@pytest.mark.parametrize(("metric", "expected"), [("top1", 0.25), ("top1+top5", 0.75), ("loss", -2.0)])
def test_score_is_higher_for_better(metric, expected):
    assert score(METRICS, metric) == expected


def test_multi_label_accuracy_is_map():
    assert score({"loss": 1.0, "mAP": 0.3, "fitness": 0.3}, "top1") == 0.3


def test_the_search_ranks_candidates_by_the_metric():
    train = TrainConfig(**(SMALL | {"iterations": 2, "bn_batches": 0, "metric": "loss"})).model_dump()
    task = FitnessTask(candidate="c0", text=TINY, kind="proxy", data="proxy:train=8,val=8", train=train)
    fitness, metrics, _, _ = proxy_fitness(task)
    assert fitness == metrics["fitness"] == -metrics["loss"] and metrics["top1"] + metrics["top5"] != fitness
