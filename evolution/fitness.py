"""Fitness of a candidate, computed in a worker: the paper's proxy task (train briefly with learned
connection weights, then top-1 + top-5 on validation), or a synthetic stand-in for exercising the
engine itself (benchmarks, crash tests) at no cost.

A task and its result are plain data so that they cross process and machine boundaries (local
processes, Ray). Failures become results with a reason; the search records them and goes on.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dsl import parse
from .config import Fitness


@dataclass(frozen=True)
class FitnessTask:
    candidate: str
    text: str
    kind: Fitness
    data: str
    train: dict[str, Any]
    out_dir: str | None = None
    threads: int | None = None  # torch threads in the worker: the cores shared among the workers
    retrain_seed: int | None = None  # a re-evaluation's fresh training seed (None: the search's training)

    @property
    def key(self) -> tuple[str, int | None]:
        """Tells a candidate's re-evaluations apart from each other and from its search training."""
        return self.candidate, self.retrain_seed


@dataclass
class FitnessResult:
    candidate: str
    fitness: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    weights: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    retrain_seed: int | None = None
    peer_weights: dict[str, list[float]] = field(default_factory=dict)  # per peer-attention block, in peer order


def _unit(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def synthetic_fitness(text: str, seed: int | None = None) -> tuple[float, dict[str, list[float]]]:
    """A deterministic pseudo-fitness in [0, 2) and pseudo learned weights, both functions of the
    file's architecture alone. It measures nothing; it lets the search run at full speed. A fresh
    training `seed` (re-evaluation) moves the fitness by up to +-0.1, as seeds do on the proxy task."""
    network = parse(text)
    fitness = 2 * _unit(text)
    if seed is not None:
        fitness = min(max(fitness + 0.2 * (_unit(f"{text}|seed={seed}") - 0.5), 0.0), 1.999)
    weights = {}
    for block in network.blocks:
        if len(block.inputs) > 1:
            seeds = [hashlib.sha256(f"{text}|{block.id}|{e.source}".encode()).digest() for e in block.inputs]
            weights[block.id] = [0.02 + 0.96 * int.from_bytes(s[:4], "big") / 2**32 for s in seeds]
    return fitness, weights


def synthetic_peer_weights(text: str) -> dict[str, list[float]]:
    """Pseudo learned peer weights, softmax probabilities that sum to 1, per block with peer attention
    (none without: a search without attention records what it did before)."""
    network = parse(text)
    weights = {}
    for block in network.blocks:
        peers = network.peers_of(block)
        if peers:
            seeds = [hashlib.sha256(f"{text}|{block.id}~{p.source}".encode()).digest() for p in peers]
            raw = [0.05 + int.from_bytes(s[:4], "big") / 2**32 for s in seeds]
            weights[block.id] = [w / sum(raw) for w in raw]
    return weights


def proxy_fitness(
    task: FitnessTask,
) -> tuple[float, dict[str, float], dict[str, list[float]], dict[str, list[float]]]:
    """Fitness, metrics, learned connection weights and learned peer weights."""
    import torch

    from ..data.spec import parse_data_spec
    from ..training import TrainConfig, train

    if task.threads:
        torch.set_num_threads(task.threads)
    network = parse(task.text)
    config = TrainConfig.model_validate(task.train)
    out_dir = Path(task.out_dir) if task.out_dir else None
    result = train(network, task.text, parse_data_spec(task.data), config, out_dir=out_dir, resume=False)
    return result.metrics["fitness"], result.metrics, result.edge_weights, result.peer_weights


def pinned_precision(task: FitnessTask) -> str | None:
    """The precision every candidate of a local search trains in, as `PINNED_CHOICE` holds it:
    `--precision auto` measured once, on the first candidate at the workers' thread count, so that
    candidates are not trained in different precisions by the noise of a measurement each. None
    where nothing is measured (a synthetic fitness, a precision or device given, no native bf16)
    or the first candidate cannot be built (each worker then measures its candidates itself)."""
    import torch

    from ..data.spec import parse_data_spec
    from ..training import TrainConfig
    from ..training.device import choose_precision, native_bf16
    from ..training.model import build_for_data
    from ..training.resolve import clip_shape
    from ..training.speed_choice import network_probe

    config = TrainConfig.model_validate(task.train)
    if task.kind == "synthetic" or config.precision != "auto" or config.device != "auto" or not native_bf16():
        return None
    if torch.cuda.is_available():
        return None
    threads = torch.get_num_threads()
    try:
        network, data = parse(task.text), parse_data_spec(task.data)
        model = build_for_data(network, task.text, data, width=config.width)
        frames, size = clip_shape(network, data, config)
        probe = network_probe(model, network, "training", batch=config.batch_size, frames=frames, size=size)
        torch.set_num_threads(task.threads or threads)
        choice = choose_precision("auto", torch.device("cpu"), probe)
    except Exception:  # the candidate's own worker reports what is wrong with it
        return None
    finally:
        torch.set_num_threads(threads)
    said = {
        "precision": "fp32" if choice.dtype is None else "bf16",
        "reason": f"the search's first candidate: {choice.reason}",
    }
    return json.dumps(said)


def evaluate(task: FitnessTask) -> FitnessResult:
    """Never raises: any failure (exception, NaN loss, out of memory) comes back as `error`."""
    started = time.perf_counter()
    try:
        peer_weights: dict[str, list[float]] = {}
        if task.kind == "synthetic":
            fitness, weights = synthetic_fitness(task.text, task.retrain_seed)
            peer_weights = synthetic_peer_weights(task.text)
            metrics = {"fitness": fitness}
        else:
            fitness, metrics, weights, peer_weights = proxy_fitness(task)
        if fitness != fitness:  # NaN
            raise ValueError("fitness is NaN")
        seconds = time.perf_counter() - started
        return FitnessResult(
            task.candidate,
            fitness,
            metrics,
            weights,
            seconds,
            retrain_seed=task.retrain_seed,
            peer_weights=peer_weights,
        )
    except MemoryError:
        error = "out of memory"
    except Exception as exc:
        error = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return FitnessResult(
        task.candidate, error=error, seconds=time.perf_counter() - started, retrain_seed=task.retrain_seed
    )
