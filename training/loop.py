"""The training loop: the paper's recipe, checkpoints that resume to the identical state, metrics
as CSV and TensorBoard events, a progress bar, and DistributedDataParallel under torchrun.

`train()` is the one entry point, for `anet train` and for the evolution engine alike. It runs a
`Trainer` through its phases, each a method that reads in one screen: set-up (`__init__`) and
`resume`, `start` (what the loop reads and writes), `step`, `validate` and `keep`, `finish`.
Under torchrun every process runs the same phases; only rank 0 writes files and evaluates, and the
other ranks wait for it at a barrier after each evaluation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data.spec import DataSpec
from ..dsl import Network, architecture_hash
from ..errors import UserError
from .batchnorm import fixed_batches, recalibrate_batchnorm, recalibrated
from .checkpoint import CHECKPOINT, load_checkpoint, load_model_state, save_checkpoint
from .config import TrainConfig
from .device import placement
from .distributed import current
from .loader import tolerant_loader
from .logs import MetricsLog
from .metrics import score
from .model import batch_forward, build_for_data, edge_weights, model_inputs, peer_weights
from .optimizer import parameter_groups
from .progress import TrainingProgress
from .resolve import Loss, clip_shape, dataset_length, loss_function, run_info
from .run_dir import BEST_CHECKPOINT, write_learned
from .run_info import is_run_dir, read_run_info, resume_mismatch, write_run_info
from .sampling import ResumableSampler
from .schedule import warmup_cosine
from .speed_choice import SpeedProbe, network_probe
from .state import LossWindow, TrainingState
from .summary import check_clip_flags, data_summary
from .unreadable import SUBSTITUTES, UNREADABLE, UnreadableVideos
from .validation import evaluate


class TrainingError(UserError, RuntimeError):
    """Training stopped for a reason the caller should record (NaN loss, ...)."""


@dataclass
class TrainResult:
    """What a run produced: final validation metrics, the learned connection weights per block
    (sigmoid values, input order) and peer weights (softmax values, peer order), the loss curve,
    and where the checkpoint is."""

    metrics: dict[str, float]
    edge_weights: dict[str, list[float]]
    history: list[dict[str, float]] = field(default_factory=list)
    iterations: int = 0
    seconds: float = 0.0
    placement: str = ""
    checkpoint: Path | None = None
    peer_weights: dict[str, list[float]] = field(default_factory=dict)  # peer attention: per block, peer order


def train(
    network: Network,
    source_text: str,
    data: DataSpec,
    config: TrainConfig,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    source_path: str | None = None,
) -> TrainResult:
    """Train `network` on `data` for `config.iterations` steps, then evaluate on the validation
    split. With `out_dir`, make it a self-contained run (`run.json` and `network.anet`, see
    `anet.training.run_info`; checkpoints, metrics, `learned.anet`); `resume` continues from its
    checkpoint and reaches exactly the state an uninterrupted run would have reached."""
    trainer = Trainer(network, source_text, data, config, out_dir=out_dir, source_path=source_path)
    if resume:
        trainer.resume()
    return trainer.run()


class Trainer:
    """One training run, its phases in the order `train()` calls them. The order is part of the
    contract: the seed is set before the model is built (its initial weights); a resume is checked
    before `run.json` is rewritten (a refused resume leaves the run as it was) and loaded before
    DistributedDataParallel wraps the model (which copies rank 0's weights to every rank)."""

    # Opened by `start`, once the step training starts at is known:
    runner: Callable[..., torch.Tensor]  # the model as stepped: wrapped for DDP, compiled with --compile
    loss_fn: Loss
    forward: Callable[[nn.Module, dict[str, Any]], torch.Tensor]  # one batch through a model (BN re-estimation)
    log: MetricsLog | None  # rank 0 of a run with an out_dir
    progress: TrainingProgress
    unreadable: UnreadableVideos
    unreadable_val: UnreadableVideos
    started: float  # perf_counter when the first batch was asked for

    def __init__(
        self,
        network: Network,
        source_text: str,
        data: DataSpec,
        config: TrainConfig,
        *,
        out_dir: Path | None = None,
        source_path: str | None = None,
    ) -> None:
        """Set-up: the clip, the data sets, the model, the optimiser and the schedule at step 0."""
        self.network, self.source_text, self.data, self.config = network, source_text, data, config
        self.out_dir = out_dir
        self.dist = current()
        torch.manual_seed(config.seed)
        check_clip_flags(data, frames=config.frames, size=config.size)
        self.frames, self.size = clip_shape(network, data, config)
        self.datasets = data.datasets(frames=self.frames, size=self.size)
        self.model = build_for_data(network, source_text, data, width=config.width, source_path=source_path)
        self.place = placement(config, local_rank=self.dist.local_rank, probe=self._probe())
        self.model.to(self.place.device)
        groups = parameter_groups(
            self.model, lr=config.peak_lr, weight_decay=config.weight_decay, edge_lr=config.edge_lr
        )
        self.optimizer = torch.optim.SGD(groups, lr=config.peak_lr, momentum=config.momentum)
        self.scheduler = warmup_cosine(self.optimizer, total=config.iterations, warmup=config.warmup_iterations)
        self.state = TrainingState()
        self.checkpoint_path = out_dir / CHECKPOINT if out_dir else None
        self.info = run_info(
            network, source_text, source_path, data, config, frames=self.frames, size=self.size, fps=self.datasets.fps
        )

    def _probe(self) -> SpeedProbe | None:
        """The training step `--precision auto` measures; none with several processes, which must
        agree without a measurement each (they fall back on the probe convolution)."""
        if self.dist.active:
            return None
        config = self.config
        return network_probe(
            self.model, self.network, "training", batch=config.batch_size, frames=self.frames, size=self.size
        )

    def resume(self) -> None:
        """Continue from the run's checkpoint, when it has one (a run that crashed before its first
        checkpoint starts over). Refused when the checkpoint or `run.json` describe another
        architecture, data or width: the run would silently become a different one."""
        path = self.checkpoint_path
        if path is None or not path.exists():
            return
        saved = load_checkpoint(path)
        if saved["architecture"] != architecture_hash(self.network):
            raise TrainingError(f"{path} belongs to another architecture; use a new --out")
        load_model_state(self.model, saved, path)
        if self.out_dir is not None and is_run_dir(self.out_dir):
            reason = resume_mismatch(read_run_info(self.out_dir)[0], self.info)
            if reason:
                raise TrainingError(
                    f"{self.out_dir} cannot be resumed with these settings: {reason}; use another --out"
                )
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.state = TrainingState(step=saved["step"], history=saved["history"], best=saved.get("best", {}))

    def run(self) -> TrainResult:
        """Step until `config.iterations`, validating and checkpointing on the way, then finish."""
        batches = self.start()
        try:
            with self.progress:
                self.model.train()
                window = LossWindow()
                while self.state.step < self.config.iterations:
                    if not self.step(next(batches), window):
                        continue
                    step = self.state.step
                    if self.config.eval_every and step % self.config.eval_every == 0 and step < self.config.iterations:
                        with self._recalibrated():
                            self.keep(self.validate())  # inside: best.pt keeps the statistics it was measured with
                        self.model.train()
                    if self.config.checkpoint_every and step % self.config.checkpoint_every == 0:
                        self.save()
            return self.finish(seconds=time.perf_counter() - self.started)
        finally:  # also when training stops with an error: TensorBoard's writer thread ends with it
            if self.log:
                self.log.close()

    def start(self) -> Iterator[dict[str, Any]]:
        """What the loop reads and writes, from the step training starts at: `run.json`, the
        (DDP-wrapped, maybe compiled) model, the metrics log, the progress display and the endless
        stream of training batches, which continues where the checkpoint's step left off."""
        config, dist, train_set = self.config, self.dist, self.datasets.train
        if self.out_dir is not None and dist.is_main:
            write_run_info(self.out_dir, self.info, self.source_text)
        wrapped = dist.wrap(self.model, self.place)
        self.runner = torch.compile(wrapped) if config.compile else wrapped
        self.loss_fn = loss_function(self.data.multi_label, config.label_smoothing)
        sampler = ResumableSampler(
            dataset_length(train_set),
            seed=config.seed,
            start=self.state.step * config.batch_size * dist.world,
            rank=dist.rank,
            world=dist.world,
        )
        loader = tolerant_loader(
            train_set,
            substitutes=SUBSTITUTES,
            batch_size=config.batch_size,
            sampler=sampler,
            workers=config.workers,
            pin_memory=self.place.device.type == "cuda",
            persistent=True,
        )
        self.forward = batch_forward(self.network, self.place)
        self.log = MetricsLog(self.out_dir) if self.out_dir and dist.is_main else None
        self.progress = TrainingProgress(
            total=config.iterations, start=self.state.step, enabled=config.progress and dist.is_main
        )
        if dist.is_main:
            self.progress.line(self._summary())
        self.started = time.perf_counter()
        batches = iter(loader)
        self.unreadable = UnreadableVideos("training", dataset_length(train_set), config.max_bad_videos)
        self.unreadable_val = UnreadableVideos("validation", dataset_length(self.datasets.val), config.max_bad_videos)
        return batches

    def step(self, batch: dict[str, Any], window: LossWindow) -> bool:
        """One optimiser step on `batch`, or none (False) when none of its videos could be read."""
        self.unreadable.record(batch.pop(UNREADABLE))
        if "label" not in batch:  # every video of the batch and its substitutes failed
            return False
        inputs, labels = model_inputs(batch, self.network, self.place)
        with self.place.autocast():
            logits = self.runner(**inputs)
            loss = self.loss_fn(logits.float(), labels)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingError(f"loss became {value} at iteration {self.state.step}")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        self.state.step += 1
        window.add(value)
        clips = self.config.batch_size * self.dist.world
        self.progress.advance(loss=value, clips=clips, lr=self._lr())
        if self.state.step % self.config.log_every == 0 or self.state.step == self.config.iterations:
            row = window.row(self.state.step, lr=self._lr(), clips=clips)
            self.state.history.append(row)
            if self.log:
                self.log.write("train", row)
                self.log.edge_weights(self.state.step, _named_weights(self.model, self.network))
            window.restart()
        return True

    def validate(self) -> dict[str, float]:
        """The metrics on the validation split, measured by rank 0; the other ranks get none and
        wait for it, so that no rank trains on while rank 0 still evaluates."""
        if not self.dist.is_main:
            self.dist.barrier()
            return {}
        metrics = evaluate(
            self.model,
            self.network,
            self.datasets.val,
            multi_label=self.data.multi_label,
            batch_size=self.config.batch_size,
            place=self.place,
            workers=self.config.workers,
            limit=self.config.max_eval_samples,
            unreadable=self.unreadable_val,
        )
        self.dist.barrier()
        return metrics

    def keep(self, metrics: dict[str, float]) -> dict[str, float]:
        """Score a validation (`fitness`), show and log it, and with `--keep best` write the weights
        to best.pt when they score higher than every validation before. No metrics (ranks other
        than 0): nothing to keep."""
        if not metrics:
            return metrics
        config, step = self.config, self.state.step
        metrics = {**metrics, "fitness": score(metrics, config.metric)}
        shown = " ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k != "samples")
        self.progress.line(f"validation at step {step} ({metrics['samples']:.0f} videos): {shown}")
        if self.log:
            self.log.write("val", {"step": step, **metrics})
        best = self.state.best
        if self.out_dir and config.keep == "best" and (not best or metrics["fitness"] > best["fitness"]):
            best.update(step=step, fitness=metrics["fitness"])
            save_checkpoint(
                self.out_dir / BEST_CHECKPOINT,
                {
                    "model": self.model.state_dict(),
                    "architecture": architecture_hash(self.network),
                    "config": config.model_dump(),
                    "data": self.data.text,
                    "step": step,
                    "metrics": metrics,
                    "metric": config.metric,
                },
            )
        return metrics

    def save(self) -> None:
        """The checkpoint a resume continues from (rank 0 writes it; all ranks hold the same state)."""
        if self.checkpoint_path and self.dist.is_main:
            save_checkpoint(
                self.checkpoint_path,
                {
                    "model": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "step": self.state.step,
                    "history": self.state.history,
                    "architecture": architecture_hash(self.network),
                    "config": self.config.model_dump(),
                    "data": self.data.text,
                    "best": self.state.best,
                },
            )

    def finish(self, *, seconds: float) -> TrainResult:
        """BN statistics re-estimated for good before the final checkpoint (so that it evaluates
        as reported), the final validation, `learned.anet` and the run's hyperparameters."""
        if self.config.bn_batches and self.dist.is_main:
            recalibrate_batchnorm(self.model, self._bn_batches(), self.forward)
        self.save()
        metrics = self.keep(self.validate())
        learned, peers = edge_weights(self.model), peer_weights(self.model)
        if self.out_dir and self.dist.is_main:
            write_learned(self.out_dir, self.network, learned, peers)
        if self.log:
            settings = {**self.config.model_dump(), **self.info.resolved.model_dump(), "data": self.data.text}
            self.log.hyperparameters(settings, metrics)
        return TrainResult(
            metrics=metrics,
            edge_weights=learned,
            peer_weights=peers,
            history=self.state.history,
            iterations=self.state.step,
            seconds=seconds,
            placement=self.place.describe(),
            checkpoint=self.checkpoint_path,
        )

    def _lr(self) -> float:
        """The weights' learning rate after the last step (the schedule scales every group alike);
        torch types it loosely (a tensor where the optimiser was given one), this run gives floats."""
        return float(self.scheduler.get_last_lr()[0])

    def _recalibrated(self) -> AbstractContextManager[None]:
        """Precise BN for a validation in the middle of the run (rank 0, with `bn_batches`), the
        running statistics restored afterwards so that training continues as if it had not run."""
        if self.config.bn_batches and self.dist.is_main:
            return recalibrated(self.model, self._bn_batches(), self.forward)
        return nullcontext()

    def _bn_batches(self) -> Iterator[dict[str, Any]]:
        config = self.config
        return fixed_batches(
            self.datasets.train,
            batches=config.bn_batches,
            batch_size=config.batch_size,
            seed=config.seed,
            workers=config.workers,
        )

    def _summary(self) -> str:
        return data_summary(
            self.network,
            self.data,
            train=dataset_length(self.datasets.train),
            val=dataset_length(self.datasets.val),
            frames=self.frames,
            size=self.size,
            metric=self.config.metric,
        )


def _named_weights(model: nn.Module, network: Network) -> dict[str, dict[str, float]]:
    """The learned connection weights keyed by block and input node (for TensorBoard)."""
    blocks = {b.id: b for b in network.blocks}
    return {
        block: {str(e.source): w for e, w in zip(blocks[block].inputs, weights, strict=True)}
        for block, weights in edge_weights(model).items()
    }
