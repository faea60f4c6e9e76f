"""The trainer's phases one at a time, on the tiny network and the proxy task: set-up and resume,
one step, validate and keep (best.pt), finish. `test_training.py` runs them together end to end
(resume equality, real video, DDP)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from tiny_training import SMALL, TINY

import anet.training.loop as loop
from anet.data.spec import parse_data_spec
from anet.dsl import parse
from anet.errors import UserError
from anet.training import TrainConfig, TrainingError, train
from anet.training.checkpoint import load_checkpoint
from anet.training.distributed import Distributed
from anet.training.loop import Trainer
from anet.training.resolve import clip_shape, dataset_length
from anet.training.state import LossWindow, TrainingState
from anet.training.unreadable import UNREADABLE

DATA = "proxy:train=16,val=8"
OTHER = TINY.replace("C=512 r=1", "C=256 r=1")  # block d narrower: another architecture, same classes


def trainer(out: Path | None, *, text: str = TINY, data: str = DATA, **overrides) -> Trainer:
    config = TrainConfig(**(SMALL | {"iterations": 4, "bn_batches": 0} | overrides))
    return Trainer(parse(text), text, parse_data_spec(data), config, out_dir=out)


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def parameters(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What an optimiser step changes (a forward in training mode also moves BN's running statistics)."""
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# set-up


def test_clip_shape_prefers_the_flag_then_the_spec_then_the_header_then_the_default():
    stated = parse(TINY.replace("classes 8", "classes 8\n  clip frames=6 size=48"))
    proxy, fixed = parse_data_spec(DATA), parse_data_spec(DATA + ",frames=5,size=24")
    assert clip_shape(parse(TINY), proxy, TrainConfig()) == (proxy.default_frames, proxy.default_size)
    assert clip_shape(stated, proxy, TrainConfig()) == (6, 48)
    assert clip_shape(stated, fixed, TrainConfig()) == (5, 24)
    assert clip_shape(stated, fixed, TrainConfig(frames=7, size=40)) == (7, 40)


def test_dataset_length_refuses_a_data_set_without_one():
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(())

    assert dataset_length(parse_data_spec(DATA).dataset("val", frames=4, size=32)) == 8
    with pytest.raises(TypeError, match="Stream has no length"):
        dataset_length(Stream())


@pytest.mark.slow
def test_set_up_starts_every_run_of_a_seed_from_the_same_weights(tmp_path):
    first, again, other = trainer(tmp_path / "a"), trainer(tmp_path / "b"), trainer(tmp_path / "c", seed=1)
    assert first.state == TrainingState() and first.info.resolved.frames == 4
    assert same(weights(first.model), weights(again.model))
    assert not same(weights(first.model), weights(other.model))
    assert not (tmp_path / "a").exists()  # nothing is written before the run starts


def test_a_clip_flag_that_contradicts_the_data_spec_is_refused_at_set_up():
    with pytest.raises(UserError, match="--size 32 conflicts with size=16"):
        trainer(None, data=DATA + ",size=16")


# resume


@pytest.mark.slow
def test_resume_restores_the_weights_optimiser_schedule_and_counters(tmp_path):
    first = trainer(tmp_path, keep="best")
    batches = first.start()
    window = LossWindow()
    for _ in range(2):
        assert first.step(next(batches), window)
    first.keep({"loss": 2.0, "top1": 0.25, "top5": 0.5, "samples": 8.0})
    first.save()
    resumed = trainer(tmp_path, keep="best")
    resumed.resume()
    assert resumed.state == first.state and resumed.state.step == 2
    assert resumed.state.best == {"step": 2, "fitness": 0.75}
    assert same(weights(resumed.model), weights(first.model))
    assert resumed.scheduler.state_dict() == first.scheduler.state_dict()
    momenta = [s["momentum_buffer"] for s in first.optimizer.state_dict()["state"].values()]
    restored = [s["momentum_buffer"] for s in resumed.optimizer.state_dict()["state"].values()]
    assert all(torch.equal(a, b) for a, b in zip(momenta, restored, strict=True))


def test_resume_without_a_checkpoint_starts_at_step_zero(tmp_path):
    fresh = trainer(tmp_path)
    initial = weights(fresh.model)
    fresh.resume()
    assert fresh.state == TrainingState() and same(weights(fresh.model), initial)


def test_resume_refuses_another_architecture_or_other_data(tmp_path):
    first = trainer(tmp_path)
    first.start()
    first.save()
    with pytest.raises(TrainingError, match=r"checkpoint.pt belongs to another architecture; use a new --out"):
        trainer(tmp_path, text=OTHER).resume()
    config = TrainConfig(**SMALL, iterations=4, bn_batches=0)
    with pytest.raises(TrainingError, match="cannot be resumed with these settings: it was trained with data"):
        train(parse(TINY), TINY, parse_data_spec("proxy:train=12,val=8"), config, out_dir=tmp_path, resume=True)
    assert "train=16" in (tmp_path / "run.json").read_text()  # refused before run.json is rewritten


# one step


@pytest.mark.slow
def test_a_step_updates_the_weights_and_logs_the_mean_loss_of_its_window(tmp_path):
    every_step = trainer(tmp_path / "every", log_every=1)
    batches = every_step.start()
    window = LossWindow()
    for _ in range(2):
        every_step.step(next(batches), window)
    losses = [row["loss"] for row in every_step.state.history]
    run = trainer(tmp_path / "pairs", log_every=2)
    batches = run.start()
    window = LossWindow()
    before = parameters(run.model)
    assert run.step(next(batches), window)
    assert run.state.step == 1 and run.state.history == [] and window.steps == 1
    assert not same(parameters(run.model), before)
    assert run.step(next(batches), window)
    (row,) = run.state.history
    assert row["step"] == 2 and row["loss"] == pytest.approx(sum(losses) / 2)
    assert window.steps == 0  # a logged row starts the next window
    assert (tmp_path / "pairs" / "train.csv").read_text().splitlines()[0] == "step,loss,lr,clips_per_s"


def test_a_batch_without_a_readable_video_is_no_step(tmp_path):
    run = trainer(tmp_path, max_bad_videos=1.0)
    run.start()
    before = parameters(run.model)
    assert not run.step({UNREADABLE: [("gone.mp4", "gone.mp4: cannot be opened")]}, LossWindow())
    assert run.state.step == 0 and same(parameters(run.model), before)
    assert run.unreadable.seen == {"gone.mp4": "gone.mp4: cannot be opened"}


def test_a_loss_that_is_not_finite_stops_the_run_before_the_update(tmp_path):
    run = trainer(tmp_path)
    batches = run.start()
    batch = next(batches)
    batch["rgb"] = torch.full_like(batch["rgb"], float("nan"))
    before = parameters(run.model)
    with pytest.raises(TrainingError, match=r"^loss became nan at iteration 0$"):
        run.step(batch, LossWindow())
    assert run.state.step == 0 and same(parameters(run.model), before)


def test_a_run_that_stops_with_an_error_ends_its_tensorboard_writer(tmp_path, monkeypatch):
    def writers() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if type(t).__name__ == "_AsyncWriterThread"}

    before = writers()
    run = trainer(tmp_path)

    def interrupted(batch, window):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run.run()
    assert run.log is not None and writers() - before == set()


def test_a_window_reports_its_mean_loss_and_throughput():
    window = LossWindow()
    window.add(1.0)
    window.add(2.0)
    row = window.row(7, lr=0.5, clips=4)
    assert row["step"] == 7 and row["loss"] == 1.5 and row["lr"] == 0.5 and row["clips_per_s"] > 0
    window.restart()
    assert (window.loss, window.steps) == (0.0, 0)


# validate and keep


def test_keep_scores_shows_logs_and_keeps_only_better_weights(tmp_path, capsys):
    run = trainer(tmp_path, keep="best", metric="top1", progress=True)
    run.start()
    run.state.step = 3
    kept = run.keep({"loss": 2.0, "top1": 0.25, "top5": 0.5, "samples": 8.0})
    assert kept["fitness"] == 0.25 and list(kept) == ["loss", "top1", "top5", "samples", "fitness"]
    assert (
        "validation at step 3 (8 videos): loss 2.0000 top1 0.2500 top5 0.5000 fitness 0.2500" in capsys.readouterr().out
    )
    best = load_checkpoint(tmp_path / "best.pt")
    assert best["step"] == 3 and best["metrics"] == kept and best["metric"] == "top1"
    run.state.step = 4
    run.keep({"loss": 1.0, "top1": 0.25, "top5": 1.0, "samples": 8.0})  # not better in top1: not kept
    assert load_checkpoint(tmp_path / "best.pt")["step"] == 3 and run.state.best == {"step": 3, "fitness": 0.25}
    run.state.step = 5
    run.keep({"loss": 3.0, "top1": 0.5, "top5": 0.5, "samples": 8.0})
    assert load_checkpoint(tmp_path / "best.pt")["step"] == 5 and run.state.best == {"step": 5, "fitness": 0.5}
    assert (tmp_path / "val.csv").read_text().count("\n") == 4  # header and every validation


def test_keep_without_metrics_keeps_nothing(tmp_path):
    run = trainer(tmp_path, keep="best")
    run.start()
    assert run.keep({}) == {}
    assert not (tmp_path / "best.pt").exists() and not (tmp_path / "val.csv").exists()


@pytest.mark.slow
def test_validate_measures_the_whole_validation_split(tmp_path):
    run = trainer(tmp_path)
    run.start()
    metrics = run.validate()
    assert metrics["samples"] == 8 and {"loss", "top1", "top5"} <= set(metrics)


# finish


@pytest.mark.slow
def test_finish_saves_what_it_reports_after_recalibrating_batchnorm(tmp_path):
    run = trainer(tmp_path, bn_batches=2)
    run.start()
    untrained = weights(run.model)
    result = run.finish(seconds=1.5)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    assert state["step"] == 0 and same(state["model"], weights(run.model))
    means = [k for k in untrained if k.endswith("running_mean")]
    assert means and all(not torch.equal(state["model"][k], untrained[k]) for k in means)
    assert result.iterations == 0 and result.seconds == 1.5 and result.checkpoint == tmp_path / "checkpoint.pt"
    assert result.metrics["fitness"] == pytest.approx(result.metrics["top1"] + result.metrics["top5"])
    assert set(result.edge_weights) == {"a", "b", "d"}
    assert "block a" in (tmp_path / "learned.anet").read_text()
    assert list((tmp_path / "tensorboard").iterdir())


@pytest.mark.slow
def test_ranks_other_than_zero_write_nothing_and_report_no_metrics(tmp_path, monkeypatch):
    """Under torchrun only rank 0 writes and evaluates (the others wait at its barriers, a no-op
    for one process), so a rank-1 process leaves the run directory as it found it."""
    monkeypatch.setattr(loop, "current", lambda: Distributed(rank=1, world=1))
    result = train(
        parse(TINY), TINY, parse_data_spec(DATA), TrainConfig(**SMALL, iterations=2, bn_batches=2), out_dir=tmp_path
    )
    assert result.metrics == {} and result.iterations == 2 and len(result.history) == 2
    assert list(tmp_path.iterdir()) == []
