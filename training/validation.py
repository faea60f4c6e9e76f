"""Validation: top-1 / top-5 (fitness = their sum) for single-label data; mAP for multi-label data
with the paper's protocol of several random long crops per video whose predictions are max-pooled
(Charades: five 128-frame crops). With one crop, each video is seen once, centred. Videos that cannot
be read are left out of the metrics, with a warning, up to the bad-video limit (`unreadable.py`)."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from ..dsl import Network
from ..runtime import inference_copy
from .config import MAX_BAD_VIDEOS
from .device import Placement
from .loader import tolerant_loader
from .metrics import Accumulator
from .model import model_inputs
from .sampling import _mix
from .unreadable import INDEX, UNREADABLE, UnreadableVideos, UnreadableVideosError


class Predictions(NamedTuple):
    """Per item of a data set: logits [N, K] (float32, CPU), labels, and whether it was read."""

    logits: torch.Tensor
    labels: torch.Tensor
    read: torch.Tensor


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
    unreadable: UnreadableVideos | None = None,
) -> Predictions:
    """Logits and labels over `dataset` in order; a video that could not be read has `read` False
    (and zeros), and `unreadable` counts it against the bad-video limit."""
    total = len(dataset)  # type: ignore[arg-type]
    unreadable = unreadable or UnreadableVideos("validation", total, MAX_BAD_VIDEOS)
    items = [(i, _mix(seed, i)) for i in range(total)]
    loader = tolerant_loader(dataset, substitutes=0, batch_size=batch_size, sampler=items, workers=workers)
    rows, logits, labels = [], [], []
    model.eval()
    for batch in loader:
        unreadable.record(batch.pop(UNREADABLE))
        if "label" not in batch:
            continue
        inputs, target = model_inputs(batch, network, place)
        with place.autocast():
            logits.append(model(**inputs).float().cpu())
        labels.append(target.cpu())
        rows.append(batch[INDEX])
    if not rows:
        raise UnreadableVideosError(f"none of the {total} {unreadable.split} videos could be read")
    positions, every_logit, every_label = torch.cat(rows), torch.cat(logits), torch.cat(labels)
    out = Predictions(
        torch.zeros((total, *every_logit.shape[1:])),
        torch.zeros((total, *every_label.shape[1:]), dtype=every_label.dtype),
        torch.zeros(total, dtype=torch.bool),
    )
    out.logits[positions], out.labels[positions], out.read[positions] = every_logit, every_label, True
    return out


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
    unreadable: UnreadableVideos | None = None,
) -> dict[str, float]:
    """Metrics over `dataset` (its first `limit` items). With `crops` > 1 every item is read `crops`
    times with different random draws, and the predictions are max-pooled (multi-label, after the
    sigmoid, as in the paper) or averaged (single-label, after the softmax). The forwards run on
    the model's inference copy (BN folded once; `model` is not changed)."""
    model = inference_copy(model, place.autocast_dtype)
    if limit is not None and limit < len(dataset):  # type: ignore[arg-type]
        dataset = Subset(dataset, range(limit))
    unreadable = unreadable or UnreadableVideos("validation", len(dataset), MAX_BAD_VIDEOS)  # type: ignore[arg-type]
    runs = [
        predict(
            model,
            network,
            dataset,
            batch_size=batch_size,
            place=place,
            workers=workers,
            seed=seed + c,
            unreadable=unreadable,
        )
        for c in range(crops)
    ]
    read = torch.stack([run.read for run in runs]).all(dim=0)  # videos read in every crop
    stacked = torch.stack([run.logits[read] for run in runs])
    labels = runs[0].labels[read]
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
