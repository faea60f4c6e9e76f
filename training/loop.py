"""The training loop: the paper's recipe, checkpoints that resume to the identical state, metrics
as CSV and TensorBoard events, a progress bar, and DistributedDataParallel under torchrun.

`train()` is the one entry point, for `anet train` and for the evolution engine alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data.spec import DataSpec
from ..dsl import Network, architecture_hash
from ..errors import UserError
from .batchnorm import fixed_batches, recalibrate_batchnorm, recalibrated
from .checkpoint import CHECKPOINT, load_checkpoint, load_model_state, save_checkpoint
from .config import TrainConfig
from .device import Placement, placement
from .distributed import Distributed, current
from .logs import MetricsLog
from .metrics import score
from .model import batch_forward, build_for_data, edge_weights, model_inputs
from .optimizer import parameter_groups
from .progress import TrainingProgress
from .run_dir import BEST_CHECKPOINT, write_learned
from .run_info import (
    Resolved,
    RunInfo,
    is_run_dir,
    read_run_info,
    resume_mismatch,
    text_digest,
    write_run_info,
)
from .sampling import ResumableSampler
from .schedule import warmup_cosine
from .summary import check_clip_flags, data_summary
from .unreadable import SUBSTITUTES, UNREADABLE, TolerantSamples, UnreadableVideos, collate_readable
from .validation import evaluate


class TrainingError(UserError, RuntimeError):
    """Training stopped for a reason the caller should record (NaN loss, ...)."""


@dataclass
class TrainResult:
    """What a run produced: final validation metrics, the learned connection weights per block
    (sigmoid values, input order), the loss curve, and where the checkpoint is."""

    metrics: dict[str, float]
    edge_weights: dict[str, list[float]]
    history: list[dict[str, float]] = field(default_factory=list)
    iterations: int = 0
    seconds: float = 0.0
    placement: str = ""
    checkpoint: Path | None = None


def _loss_function(multi_label: bool, smoothing: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if multi_label:
        bce = nn.BCEWithLogitsLoss()
        return lambda logits, target: bce(logits, target.float())
    ce = nn.CrossEntropyLoss(label_smoothing=smoothing)
    return lambda logits, target: ce(logits, target)


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
    dist = current()
    place = placement(config, local_rank=dist.local_rank)
    torch.manual_seed(config.seed)
    check_clip_flags(data, frames=config.frames, size=config.size)
    frames = config.frames or data.frames or _header_value(network, "frames") or data.default_frames
    size = config.size or data.size or _header_value(network, "size") or data.default_size
    datasets = data.datasets(frames=frames, size=size)
    model = build_for_data(network, source_text, data, width=config.width, source_path=source_path)
    model.to(place.device)
    groups = parameter_groups(model, lr=config.peak_lr, weight_decay=config.weight_decay, edge_lr=config.edge_lr)
    optimizer = torch.optim.SGD(groups, lr=config.peak_lr, momentum=config.momentum)
    scheduler = warmup_cosine(optimizer, total=config.iterations, warmup=config.warmup_iterations)
    history: list[dict[str, float]] = []
    step = 0
    checkpoint_path = out_dir / CHECKPOINT if out_dir else None
    info = _run_info(network, source_text, source_path, data, config, frames=frames, size=size, fps=datasets.fps)
    best: dict[str, float] = {}
    if resume and checkpoint_path and checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path)
        if state["architecture"] != architecture_hash(network):
            raise TrainingError(f"{checkpoint_path} belongs to another architecture; use a new --out")
        load_model_state(model, state, checkpoint_path)
        if out_dir is not None and is_run_dir(out_dir):
            reason = resume_mismatch(read_run_info(out_dir)[0], info)
            if reason:
                raise TrainingError(f"{out_dir} cannot be resumed with these settings: {reason}; use another --out")
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, history, best = state["step"], state["history"], state.get("best", {})
    if out_dir is not None and dist.is_main:
        write_run_info(out_dir, info, source_text)
    wrapped = dist.wrap(model, place)
    runner = torch.compile(wrapped) if config.compile else wrapped
    loss_fn = _loss_function(data.multi_label, config.label_smoothing)
    sampler = ResumableSampler(
        len(datasets.train),
        seed=config.seed,
        start=step * config.batch_size * dist.world,
        rank=dist.rank,
        world=dist.world,
    )
    loader = DataLoader(
        TolerantSamples(datasets.train, substitutes=SUBSTITUTES),
        batch_size=config.batch_size,
        sampler=sampler,
        collate_fn=collate_readable,
        num_workers=config.workers,
        pin_memory=place.device.type == "cuda",
        persistent_workers=config.workers > 0,
    )
    bn_batches = (
        partial(
            fixed_batches,
            datasets.train,
            batches=config.bn_batches,
            batch_size=config.batch_size,
            seed=config.seed,
            workers=config.workers,
        )
        if config.bn_batches
        else None
    )

    forward = batch_forward(network, place)
    log = MetricsLog(out_dir) if out_dir and dist.is_main else None
    progress = TrainingProgress(total=config.iterations, start=step, enabled=config.progress and dist.is_main)
    if dist.is_main:
        summary = data_summary(
            network,
            data,
            train=len(datasets.train),  # type: ignore[arg-type]
            val=len(datasets.val),  # type: ignore[arg-type]
            frames=frames,
            size=size,
            metric=config.metric,
        )
        progress.line(summary)
    started = time.perf_counter()
    batches = iter(loader)
    unreadable = UnreadableVideos("training", len(datasets.train), config.max_bad_videos)  # type: ignore[arg-type]
    unreadable_val = UnreadableVideos("validation", len(datasets.val), config.max_bad_videos)  # type: ignore[arg-type]

    def save() -> None:
        if checkpoint_path and dist.is_main:
            save_checkpoint(
                checkpoint_path,
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "step": step,
                    "history": history,
                    "architecture": architecture_hash(network),
                    "config": config.model_dump(),
                    "data": data.text,
                    "best": best,
                },
            )

    def validated(metrics: dict[str, float]) -> None:
        """After each validation: log it, and keep the weights when they are the best so far."""
        if not metrics:
            return
        metrics["fitness"] = score(metrics, config.metric)
        shown = " ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k != "samples")
        progress.line(f"validation at step {step} ({metrics['samples']:.0f} videos): {shown}")
        if log:
            log.write("val", {"step": step, **metrics})
        if out_dir and config.keep == "best" and (not best or metrics["fitness"] > best["fitness"]):
            best.update(step=step, fitness=metrics["fitness"])
            save_checkpoint(
                out_dir / BEST_CHECKPOINT,
                {
                    "model": model.state_dict(),
                    "architecture": architecture_hash(network),
                    "config": config.model_dump(),
                    "data": data.text,
                    "step": step,
                    "metrics": metrics,
                    "metric": config.metric,
                },
            )

    with progress:
        model.train()
        window_loss, window_count, window_start = 0.0, 0, time.perf_counter()
        while step < config.iterations:
            batch = next(batches)
            unreadable.record(batch.pop(UNREADABLE))
            if "label" not in batch:  # every video of the batch and its substitutes failed
                continue
            inputs, labels = model_inputs(batch, network, place)
            with place.autocast():
                logits = runner(**inputs)
                loss = loss_fn(logits.float(), labels)
            if not math.isfinite(loss.item()):
                raise TrainingError(f"loss became {loss.item()} at iteration {step}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            window_loss += loss.item()
            window_count += 1
            clips = config.batch_size * dist.world
            progress.advance(loss=loss.item(), clips=clips, lr=scheduler.get_last_lr()[0])
            if step % config.log_every == 0 or step == config.iterations:
                elapsed = time.perf_counter() - window_start
                row = {
                    "step": step,
                    "loss": window_loss / window_count,
                    "lr": scheduler.get_last_lr()[0],
                    "clips_per_s": window_count * clips / max(elapsed, 1e-9),
                }
                history.append(row)
                if log:
                    log.write("train", row)
                    log.edge_weights(step, _named_weights(model, network))
                window_loss, window_count, window_start = 0.0, 0, time.perf_counter()
            if config.eval_every and step % config.eval_every == 0 and step < config.iterations:
                with recalibrated(model, bn_batches(), forward) if bn_batches and dist.is_main else nullcontext():
                    metrics = _evaluate(model, network, datasets.val, data, config, place, dist, unreadable_val)
                    validated(metrics)  # inside: best.pt keeps the statistics it was measured with
                model.train()
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                save()
    seconds = time.perf_counter() - started
    if bn_batches and dist.is_main:  # before saving: the checkpoint evaluates as reported
        recalibrate_batchnorm(model, bn_batches(), forward)
    save()
    metrics = _evaluate(model, network, datasets.val, data, config, place, dist, unreadable_val)
    validated(metrics)
    learned = edge_weights(model)
    if out_dir and dist.is_main:
        write_learned(out_dir, network, learned)
    if log:
        log.hyperparameters({**config.model_dump(), **info.resolved.model_dump(), "data": data.text}, metrics)
        log.close()
    return TrainResult(
        metrics=metrics,
        edge_weights=learned,
        history=history,
        iterations=step,
        seconds=seconds,
        placement=place.describe(),
        checkpoint=checkpoint_path,
    )


def _run_info(
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


def _named_weights(model: nn.Module, network: Network) -> dict[str, dict[str, float]]:
    """The learned connection weights keyed by block and input node (for TensorBoard)."""
    blocks = {b.id: b for b in network.blocks}
    return {
        block: {str(e.source): w for e, w in zip(blocks[block].inputs, weights, strict=True)}
        for block, weights in edge_weights(model).items()
    }


def _header_value(network: Network, name: str) -> int | None:
    """The file's clip setting only when the file states it (the defaults are for full-size video)."""
    return getattr(network.header, name) if name in network.header.model_fields_set else None


def _evaluate(
    model: nn.Module,
    network: Network,
    dataset: Any,
    data: DataSpec,
    config: TrainConfig,
    place: Placement,
    dist: Distributed,
    unreadable: UnreadableVideos,
) -> dict[str, float]:
    if not dist.is_main:
        dist.barrier()
        return {}
    metrics = evaluate(
        model,
        network,
        dataset,
        multi_label=data.multi_label,
        batch_size=config.batch_size,
        place=place,
        workers=config.workers,
        limit=config.max_eval_samples,
        unreadable=unreadable,
    )
    dist.barrier()
    return metrics
