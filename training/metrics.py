"""Metrics of the paper: top-1 / top-5 accuracy (fitness = their sum) for single-label data, and
mean average precision over classes for multi-label data (Charades' protocol: several long crops
per video, predictions max-pooled over crops before scoring)."""

from __future__ import annotations

import torch

from .config import Metric


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> dict[int, int]:
    """How many rows have their label among the k highest scores, for each k (k > classes counts
    every row, so top-5 of a 4-class problem is 1)."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hits = top.eq(labels.view(-1, 1))
    return {k: int(hits[:, :k].any(dim=1).sum()) for k in ks}


def average_precision(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """AP of one class: mean over positives of the precision at each positive's rank (ties broken
    by input order, as sklearn's average_precision_score does for distinct scores). NaN without
    positives, so that mean AP can skip such classes."""
    positives = int(targets.sum())
    if positives == 0:
        return float("nan")
    order = torch.argsort(scores, descending=True, stable=True)
    hits = targets[order].float()
    precision_at_rank = hits.cumsum(0) / torch.arange(1, len(hits) + 1, dtype=torch.float32)
    return float((precision_at_rank * hits).sum() / positives)


def mean_average_precision(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean AP over classes that have at least one positive ([N, K] scores and 0/1 targets)."""
    aps = torch.tensor([average_precision(scores[:, k], targets[:, k]) for k in range(scores.shape[1])])
    valid = aps[~aps.isnan()]
    return float(valid.mean()) if len(valid) else float("nan")


class Accumulator:
    """Running metrics over an evaluation: counts for accuracy, stored scores for mAP."""

    def __init__(self, *, multi_label: bool) -> None:
        self.multi_label = multi_label
        self.count = 0
        self.loss_sum = 0.0
        self.correct = {1: 0, 5: 0}
        self.scores: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []

    def add(self, logits: torch.Tensor, labels: torch.Tensor, loss: float) -> None:
        logits = logits.detach().float().cpu()
        labels = labels.detach().cpu()
        self.count += logits.shape[0]
        self.loss_sum += loss * logits.shape[0]
        if self.multi_label:
            self.scores.append(torch.sigmoid(logits))
            self.targets.append(labels)
        else:
            for k, n in topk_correct(logits, labels).items():
                self.correct[k] += n

    def result(self) -> dict[str, float]:
        out = {"loss": self.loss_sum / max(self.count, 1), "samples": float(self.count)}
        if self.multi_label:
            out["mAP"] = mean_average_precision(torch.cat(self.scores), torch.cat(self.targets))
            out["fitness"] = out["mAP"]
        else:
            out["top1"] = self.correct[1] / max(self.count, 1)
            out["top5"] = self.correct[5] / max(self.count, 1)
            out["fitness"] = out["top1"] + out["top5"]
        return out


def score(metrics: dict[str, float], metric: Metric) -> float:
    """The number `metric` ranks by (higher is better)."""
    if metric == "loss":
        return -metrics["loss"]
    if "mAP" in metrics:
        return metrics["mAP"]
    return metrics["top1"] if metric == "top1" else metrics["top1"] + metrics["top5"]
