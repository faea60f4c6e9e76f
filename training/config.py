"""Training settings. The defaults are the paper's recipe (appendix A.6): momentum SGD, linear
warm-up then cosine decay, weight decay 1e-4, label smoothing 0.2, no dropout; the learning rate
is the paper's 3.2 at batch 512 scaled linearly to the batch size used."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

PAPER_LR_PER_SAMPLE = 3.2 / 512  # Moments in Time: lr 3.2 at batch 512
BN_BATCHES = 32  # precise-BN batches before validation: see anet.training.batchnorm
PROXY_EDGE_LR = 10.0
"""Learning-rate multiplier of the connection logits in the search's proxy training: anet's deviation
from the paper (which trains them at the shared rate), chosen by `benchmarks/edge_signal.py`
(docs/search.md): it spreads the learned weights so that equation (2) is guided rather than a coin flip,
while their order still agrees across training seeds. See anet.training.optimizer."""
# Largest share of a split's videos that may be unreadable (skipped with a warning) before a run stops:
# big downloaded data sets always miss a few videos; more than this means a wrong path or a broken copy.
MAX_BAD_VIDEOS = 0.05
Precision = Literal["auto", "fp32", "bf16"]  # "auto": anet.training.device.choose_precision

Metric = Literal["top1", "top1+top5", "loss"]
"""What ranks checkpoints (`--keep best`) and search candidates (`fitness`): higher is better, so
`loss` scores as its negative. Multi-label data has no top-k: there both accuracy metrics are mAP."""


class TrainConfig(BaseModel):
    """Everything a training run needs besides the model and the data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iterations: PositiveInt = 1000
    batch_size: PositiveInt = 8
    lr: float | None = Field(default=None, gt=0, description="peak learning rate (default 3.2 * batch / 512)")
    momentum: float = Field(default=0.9, ge=0, lt=1)
    weight_decay: float = Field(default=1e-4, ge=0)
    label_smoothing: float = Field(default=0.2, ge=0, lt=1)
    warmup: float = Field(
        default=0.1, ge=0, lt=1, description="share of iterations with linear warm-up, then cosine decay"
    )
    frames: PositiveInt | None = None
    size: int | None = Field(default=None, ge=8, description="clip height and width (8 or more)")
    width: float | None = Field(default=None, gt=0)
    edge_lr: float = Field(
        default=1.0, gt=0, le=1000, description="learning-rate multiplier of the connection-weight logits (1: paper)"
    )
    bn_batches: int = Field(
        default=BN_BATCHES,
        ge=0,
        description="training batches over which BN statistics are re-estimated before validation (0: never)",
    )
    precision: Precision = "auto"
    compile: bool = False
    device: str = "auto"
    workers: int = Field(default=0, ge=0, description="DataLoader processes")
    seed: int = 0
    eval_every: int = Field(default=0, ge=0, description="evaluate every N iterations (0: only at the end)")
    checkpoint_every: int = Field(default=0, ge=0, description="0: only at the end")
    log_every: PositiveInt = 10
    eval_crops: PositiveInt = 1
    eval_frames: PositiveInt | None = None
    max_eval_samples: PositiveInt | None = None
    max_bad_videos: float = Field(
        default=MAX_BAD_VIDEOS,
        ge=0,
        le=1,
        description="largest share of a split's videos that may be unreadable (skipped with a warning) before the "
        "run stops",
    )
    progress: bool = True
    metric: Metric = Field(
        default="top1+top5", description="what `fitness` is and what ranks `best.pt`: top1, top1+top5 or loss"
    )
    keep: Literal["last", "best"] = Field(
        default="last", description="best: also keep best.pt, the weights with the best validation metric"
    )

    @property
    def peak_lr(self) -> float:
        return self.lr if self.lr is not None else PAPER_LR_PER_SAMPLE * self.batch_size

    @property
    def warmup_iterations(self) -> int:
        return int(self.warmup * self.iterations)
