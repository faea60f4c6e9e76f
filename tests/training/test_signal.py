"""The connection logits' own learning rate and BN re-estimation before validation: the two
changes that give the search a signal (learned weights that move, a fitness that is not distorted
by stale BN statistics)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_training import SMALL, TINY
from torch import nn

from anet.compiler import compile_to_module
from anet.data.spec import parse_data_spec
from anet.dsl import parse
from anet.runtime.fusion import Fusion
from anet.training import TrainConfig, train
from anet.training.batchnorm import recalibrate_batchnorm, recalibrated
from anet.training.checkpoint import load_checkpoint
from anet.training.optimizer import edge_logits, parameter_groups
from anet.training.schedule import warmup_cosine

DATA = "proxy:train=16,val=8"
ROOT = Path(__file__).parents[2]


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return compile_to_module(parse(TINY), TINY).build_model(width=0.0625)


def norms(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def test_edge_logits_get_their_own_group_at_the_configured_multiple():
    model = tiny_model()
    groups = parameter_groups(model, lr=0.05, weight_decay=1e-4, edge_lr=10)
    by_name = {g["name"]: g for g in groups}
    logits = edge_logits(model)
    assert len(logits) == 3  # blocks a, b and d have two inputs each
    assert {id(p) for p in by_name["edge_logits"]["params"]} == {id(p) for p in logits}
    assert by_name["edge_logits"]["lr"] == pytest.approx(10 * by_name["weights"]["lr"])
    assert by_name["edge_logits"]["weight_decay"] == 0.0
    # every trainable parameter in exactly one group
    seen = [id(p) for g in groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in model.parameters() if p.requires_grad)

    # the schedule scales every group alike: the ratio holds at every step
    optimizer = torch.optim.SGD(groups, lr=0.05, momentum=0.9)
    scheduler = warmup_cosine(optimizer, total=10, warmup=2)
    for _ in range(6):
        optimizer.step()
        scheduler.step()
        rates = {g["name"]: g["lr"] for g in optimizer.param_groups}
        assert rates["edge_logits"] == pytest.approx(10 * rates["weights"])


def test_one_real_step_moves_the_logits_ten_times_as_far():
    moves = {}
    for multiplier in (1.0, 10.0):
        model = tiny_model()
        optimizer = torch.optim.SGD(
            parameter_groups(model, lr=0.05, weight_decay=1e-4, edge_lr=multiplier), lr=0.05, momentum=0.9
        )
        before = [p.detach().clone() for p in edge_logits(model)]
        torch.manual_seed(1)
        rgb = torch.randn(2, 3, 4, 32, 32)
        model(rgb=rgb).logsumexp(-1).mean().backward()
        optimizer.step()
        moves[multiplier] = torch.cat([(p.detach() - b) for p, b in zip(edge_logits(model), before, strict=True)])
    assert moves[1.0].abs().max() > 0
    torch.testing.assert_close(moves[10.0], 10 * moves[1.0])


def test_paper_setting_keeps_the_two_groups_of_older_checkpoints():
    groups = parameter_groups(tiny_model(), lr=0.05, weight_decay=1e-4, edge_lr=1.0)
    assert [g["name"] for g in groups] == ["weights", "norms_and_biases"]


def test_fixed_edges_have_no_logits_to_train():
    text = (
        TINY.replace("classes 8", "classes 8\n  edges fixed")
        .replace("in=[s_rgb, s_flow]", "in=[s_rgb@0.2, s_flow@0.7]")
        .replace("in=[a, s_flow]", "in=[a@0.5, s_flow@0.5]")
        .replace("in=[c, a]", "in=[c@0.9, a@0.1]")
    )
    model = compile_to_module(parse(text), text).build_model(width=0.0625)
    assert edge_logits(model) == []
    assert all(isinstance(m.logits, torch.Tensor) for m in model.modules() if isinstance(m, Fusion))


def batches(seed: int, count: int = 3) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    return [{"rgb": torch.rand(2, 3, 4, 32, 32, generator=generator)} for _ in range(count)]


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(**batch)


def test_recalibration_sets_the_average_batch_statistics_deterministically():
    model = tiny_model()
    stem_bn = norms(model)[0]
    initial = stem_bn.running_mean.clone()
    recalibrate_batchnorm(model, batches(0), forward)
    first = [m.running_mean.clone() for m in norms(model)]
    assert not torch.equal(first[0], initial)
    model.eval()
    recalibrate_batchnorm(model, batches(0), forward)
    assert not model.training  # restored
    assert all(torch.equal(a, m.running_mean) for a, m in zip(first, norms(model), strict=True))
    assert all(m.momentum == pytest.approx(0.01) for m in norms(model))  # momenta restored
    # the cumulative average of the per-batch means, not a momentum-weighted one
    captured = []
    hook = stem_bn.register_forward_hook(lambda m, args, out: captured.append(args[0].mean(dim=(0, 2, 3, 4))))
    model.train()
    with torch.no_grad():
        for batch in batches(0):
            forward(model, batch)
    hook.remove()
    torch.testing.assert_close(first[0], torch.stack(captured).mean(0))
    recalibrate_batchnorm(model, batches(1), forward)
    assert not torch.equal(norms(model)[0].running_mean, first[0])  # other batches, other statistics


def test_recalibrated_block_restores_the_running_statistics():
    model = tiny_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with recalibrated(model, batches(0), forward):
        assert not torch.equal(norms(model)[0].running_var, before[next(k for k in before if "running_var" in k)])
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.slow  # trains
def test_training_reestimates_bn_before_saving_and_validating(tmp_path):
    data = parse_data_spec(DATA)
    results = {}
    for name, bn in (("raw", 0), ("bn", 2), ("bn_again", 2)):
        config = TrainConfig(**SMALL, iterations=3, bn_batches=bn)
        results[name] = train(parse(TINY), TINY, data, config, out_dir=tmp_path / name)
    stats = {n: load_checkpoint(tmp_path / n / "checkpoint.pt")["model"] for n in results}
    key = next(k for k in stats["raw"] if k.endswith("running_mean"))
    assert not torch.equal(stats["raw"][key], stats["bn"][key])
    assert all(torch.equal(stats["bn"][k], stats["bn_again"][k]) for k in stats["bn"])  # deterministic
    assert results["bn"].metrics == results["bn_again"].metrics
    # the weights themselves are trained identically: re-estimation only touches the statistics
    weights = [k for k in stats["raw"] if "running" not in k and "num_batches" not in k]
    assert all(torch.equal(stats["raw"][k], stats["bn"][k]) for k in weights)


@pytest.mark.slow  # trains
def test_validation_in_the_middle_of_a_run_does_not_change_training(tmp_path):
    data = parse_data_spec(DATA)
    straight = train(parse(TINY), TINY, data, TrainConfig(**SMALL, iterations=4, bn_batches=2), out_dir=tmp_path / "a")
    evaluated = train(
        parse(TINY), TINY, data, TrainConfig(**SMALL, iterations=4, bn_batches=2, eval_every=2), out_dir=tmp_path / "b"
    )
    assert straight.metrics == evaluated.metrics
    assert [r["loss"] for r in straight.history] == [r["loss"] for r in evaluated.history]


@pytest.mark.slow  # trains
def test_edge_lr_round_trips_through_the_config_and_a_resumed_run(tmp_path, monkeypatch):
    import anet.training.loop as loop

    data = parse_data_spec(DATA)
    config = TrainConfig(**SMALL, iterations=4, edge_lr=10, checkpoint_every=2)
    assert TrainConfig.model_validate(config.model_dump(mode="json")) == config
    straight = train(parse(TINY), TINY, data, config, out_dir=tmp_path / "straight")

    class CrashError(Exception):
        pass

    def save_then_crash(path, state):
        original(path, state)
        raise CrashError

    original = loop.save_checkpoint
    monkeypatch.setattr(loop, "save_checkpoint", save_then_crash)
    with pytest.raises(CrashError):
        train(parse(TINY), TINY, data, config, out_dir=tmp_path / "interrupted")
    monkeypatch.setattr(loop, "save_checkpoint", original)
    state = load_checkpoint(tmp_path / "interrupted" / "checkpoint.pt")
    assert state["step"] == 2 and TrainConfig.model_validate(state["config"]).edge_lr == 10
    rates = {g["name"]: g["lr"] for g in state["optimizer"]["param_groups"]}
    assert rates["edge_logits"] == pytest.approx(10 * rates["weights"])
    resumed = train(parse(TINY), TINY, data, config, out_dir=tmp_path / "interrupted", resume=True)
    assert resumed.edge_weights == straight.edge_weights
    assert resumed.metrics == straight.metrics


@pytest.mark.slow  # trains
def test_cli_eval_can_reestimate_what_train_would_have(tmp_path):
    """`anet eval --bn-batches N` on a checkpoint saved without re-estimation gives exactly the
    metrics of the same run trained with `--bn-batches N` (same seed, so the same batches)."""
    from click.testing import CliRunner

    from anet.cli.main import anet

    example = str(ROOT / "examples" / "two_stream_fusion_lv4.anet")
    data = "proxy:train=16,val=8"
    common = ["--data", data, "--iterations", "2", "--batch-size", "4", "--width", "0.0625", "--frames", "4"]
    common += ["--size", "32", "--precision", "fp32", "--edge-lr", "10"]
    outputs = {}
    for bn in ("0", "2"):
        out = tmp_path / f"bn{bn}"
        result = CliRunner().invoke(anet, ["train", example, "--out", str(out), "--bn-batches", bn, *common])
        assert result.exit_code == 0, result.output
        outputs[bn] = result.output.strip().splitlines()[-1]
        state = load_checkpoint(out / "checkpoint.pt")
        assert state["config"]["edge_lr"] == 10 and state["config"]["bn_batches"] == int(bn)
    evaluate = ["eval", example, "--checkpoint", str(tmp_path / "bn0" / "checkpoint.pt"), "--data", data]
    evaluate += ["--batch-size", "4"]
    plain = CliRunner().invoke(anet, evaluate)
    reestimated = CliRunner().invoke(anet, [*evaluate, "--bn-batches", "2"])
    assert plain.exit_code == 0 and reestimated.exit_code == 0, plain.output + reestimated.output
    assert plain.output.strip() == outputs["0"]
    assert reestimated.output.strip() == outputs["2"]
    assert outputs["0"] != outputs["2"]
