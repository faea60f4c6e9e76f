"""Validation: top-1 / top-5 (fitness = their sum) for single-label data; mAP for multi-label data
with the paper's protocol of several random long crops per video whose predictions are max-pooled
(Charades: five 128-frame crops). With one crop, each video is seen once, centred."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from anet.dsl import Network
from anet.training.device import Placement
from anet.training.metrics import Accumulator
from anet.training.model import model_inputs
from anet.training.sampling import SeededSamples, _mix


@torch.no_grad()
def predict(
    model: nn.Module,
    network: Network,
    dataset: Dataset[dict[str, Any]],
    *,
    batch_size: int,
    place: Placement,
    workers: int = 0,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits [N, K] in float32 on the CPU, labels) over `dataset` in order."""
    items = [(i, _mix(seed, i)) for i in range(len(dataset))]  # type: ignore[arg-type]
    loader = DataLoader(SeededSamples(dataset), batch_size=batch_size, sampler=items, num_workers=workers)
    logits, labels = [], []
    model.eval()
    for batch in loader:
        inputs, target = model_inputs(batch, network, place)
        with place.autocast():
            logits.append(model(**inputs).float().cpu())
        labels.append(target.cpu())
    return torch.cat(logits), torch.cat(labels)


def evaluate(
    model: nn.Module,
    network: Network,
    dataset: Dataset[dict[str, Any]],
    *,
    multi_label: bool,
    batch_size: int,
    place: Placement,
    workers: int = 0,
    limit: int | None = None,
    crops: int = 1,
    seed: int = 0,
) -> dict[str, float]:
    """Metrics over `dataset` (its first `limit` items). With `crops` > 1 every item is read `crops`
    times with different random draws, and the predictions are max-pooled (multi-label, after the
    sigmoid, as in the paper) or averaged (single-label, after the softmax)."""
    if limit is not None and limit < len(dataset):  # type: ignore[arg-type]
        dataset = Subset(dataset, range(limit))
    runs = [
        predict(model, network, dataset, batch_size=batch_size, place=place, workers=workers, seed=seed + c)
        for c in range(crops)
    ]
    labels = runs[0][1]
    stacked = torch.stack([logits for logits, _ in runs])
    if crops == 1:
        combined = stacked[0]
    elif multi_label:
        combined = torch.logit(torch.sigmoid(stacked).amax(0), eps=1e-7)
    else:
        combined = torch.log(torch.softmax(stacked, dim=-1).mean(0))
    loss_fn = nn.BCEWithLogitsLoss() if multi_label else nn.CrossEntropyLoss()
    accumulator = Accumulator(multi_label=multi_label)
    accumulator.add(combined, labels, float(loss_fn(combined, labels.float() if multi_label else labels)))
    return accumulator.result()
