"""What a training run settles before its first step, where the settings leave it open: the clip
shape, the loss, the split sizes, and the run's self-description (`run.json`) with the values used."""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from ..data.spec import DataSpec
from ..dsl import Network, architecture_hash
from .config import TrainConfig
from .run_info import Resolved, RunInfo, text_digest

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def clip_shape(network: Network, data: DataSpec, config: TrainConfig) -> tuple[int, int]:
    """(frames, size): the flag, else the data spec, else the `.anet` header where the file states
    it, else the data kind's default."""
    frames = config.frames or data.frames or _header_value(network, "frames") or data.default_frames
    size = config.size or data.size or _header_value(network, "size") or data.default_size
    return frames, size


def _header_value(network: Network, name: str) -> int | None:
    """The file's clip setting only when the file states it (the defaults are for full-size video)."""
    return getattr(network.header, name) if name in network.header.model_fields_set else None


def loss_function(multi_label: bool, smoothing: float) -> Loss:
    """Binary cross-entropy per class for multi-label data (Charades), else label-smoothed
    cross-entropy (the paper's 0.2 by default)."""
    if multi_label:
        bce = nn.BCEWithLogitsLoss()
        return lambda logits, target: bce(logits, target.float())
    ce = nn.CrossEntropyLoss(label_smoothing=smoothing)
    return lambda logits, target: ce(logits, target)


def dataset_length(dataset: Dataset[Any]) -> int:
    """The number of items of a map-style data set. torch's `Dataset` type does not promise a
    length (an iterable-style one has none), but training samples by index and counts bad videos
    against the split's size, so a data set without one is a programming error, said here."""
    if not isinstance(dataset, Sized):
        raise TypeError(f"{type(dataset).__name__} has no length: training needs a map-style data set")
    return len(dataset)


def run_info(
    network: Network,
    text: str,
    source: str | None,
    data: DataSpec,
    config: TrainConfig,
    *,
    frames: int,
    size: int,
    fps: float | None,
) -> RunInfo:
    """`run.json` of a run of `network` (`text`, read from `source`) on `data`, with the settings
    it resolved; what a resume compares its new settings with."""
    return RunInfo(
        network=network.header.name,
        network_sha256=text_digest(text),
        source=source,
        architecture=architecture_hash(network),
        data=data.text,
        classes=data.class_names or tuple(str(k) for k in range(data.num_classes)),
        multi_label=data.multi_label,
        config=config,
        resolved=Resolved(
            frames=frames,
            size=size,
            fps=fps,
            eval_short_side=data.eval_short_side,
            width=config.width or network.header.width,
            lr=config.peak_lr,
        ),
        torch_version=torch.__version__,
    )
