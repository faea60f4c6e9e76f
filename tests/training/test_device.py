"""--device names are checked before anything is built; --precision auto follows the CPU."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from anet.training import device
from anet.training.config import TrainConfig
from anet.training.device import DeviceError, choose_precision, native_bf16, parse_device, placement


def test_cpu_is_always_there():
    assert parse_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(("name", "message"), [("gpu", "is not a device"), ("cuda:99", "--device cuda:99")])
def test_missing_or_misspelled_devices(name, message):
    with pytest.raises(DeviceError, match=message):
        parse_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda():
    with pytest.raises(DeviceError, match="no CUDA device"):
        parse_device("cuda")


# --precision auto: the rule, with the CPU's capability and the probe's measurement mocked both ways.


@pytest.fixture
def cpu_with(monkeypatch):
    """cpu_with(features, speedup): a CPU with these cpuinfo flags whose probe measures `speedup`
    (None: the probe must not run at all)."""

    def make(features: dict[str, bool], speedup: float | None) -> None:
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "x86_64", **features})

        def probe() -> float:
            if speedup is None:
                raise AssertionError("the probe ran although the CPU has no native bf16")
            return speedup

        monkeypatch.setattr(device, "measured_bf16_speedup", probe)

    return make


def test_auto_picks_bf16_with_native_bf16_that_measures_faster(cpu_with):
    cpu_with({"avx512_bf16": True, "amx_bf16": False}, 1.9)
    choice = choose_precision("auto", torch.device("cpu"))
    assert choice.dtype is torch.bfloat16
    assert "AVX512_BF16" in choice.reason and "1.90x faster" in choice.reason


def test_auto_keeps_fp32_when_the_measurement_disagrees(cpu_with):
    cpu_with({"amx_bf16": True, "avx512_bf16": True}, 0.7)
    choice = choose_precision("auto", torch.device("cpu"))
    assert choice.dtype is None
    assert "AMX_BF16+AVX512_BF16" in choice.reason and "0.70x as fast" in choice.reason


def test_auto_keeps_fp32_without_native_bf16_and_does_not_measure(cpu_with):
    cpu_with({"avx512_f": True, "avx512_bf16": False, "avx2": True}, None)
    choice = choose_precision("auto", torch.device("cpu"))
    assert choice.dtype is None
    assert "no native bf16" in choice.reason


def test_arm_bf16_counts_as_native(cpu_with):
    cpu_with({"bf16": True}, 1.4)
    assert native_bf16() == ["bf16"]
    assert choose_precision("auto", torch.device("cpu")).dtype is torch.bfloat16


@pytest.mark.parametrize(("precision", "dtype"), [("fp32", None), ("bf16", torch.bfloat16)])
def test_an_explicit_precision_is_kept_without_measuring(cpu_with, precision, dtype):
    cpu_with({}, None)
    choice = choose_precision(precision, torch.device("cpu"))
    assert choice.dtype is dtype and choice.reason == f"--precision {precision}"


def test_placement_says_its_choice_and_reason_once_per_process(cpu_with, monkeypatch, capsys):
    monkeypatch.setattr(device, "_announced", set())
    cpu_with({"avx512_bf16": True}, 2.0)
    first = placement(TrainConfig(device="cpu"))
    placement(TrainConfig(device="cpu"))  # a search worker's next candidate: said already
    assert first.autocast_dtype is torch.bfloat16 and first.describe() == "cpu (bf16 autocast)"
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["anet: precision auto: bf16 autocast on cpu, because " + first.reason]
    placement(TrainConfig(device="cpu", precision="fp32"))  # chosen by the user: nothing to explain
    assert capsys.readouterr().err == ""


def test_the_probe_measures_both_and_restores_the_thread_count(monkeypatch):
    threads = torch.get_num_threads()
    monkeypatch.delenv(device.INHERITED_SPEEDUP, raising=False)
    device.measured_bf16_speedup.cache_clear()
    speedup = device.measured_bf16_speedup()
    assert 0.01 < speedup < 100
    assert torch.get_num_threads() == threads
    assert device.measured_bf16_speedup() == speedup  # once per process


@pytest.mark.slow  # starts processes
def test_processes_started_after_the_probe_inherit_its_measurement(monkeypatch):
    """Processes started together, each probing next to the others, measured bf16 at 0.4x in one of
    three: a child uses its parent's probe instead."""
    monkeypatch.delenv(device.INHERITED_SPEEDUP, raising=False)
    device.measured_bf16_speedup.cache_clear()
    monkeypatch.setattr(device, "_probe", lambda: 1.5)
    assert device.measured_bf16_speedup() == 1.5
    assert os.environ[device.INHERITED_SPEEDUP] == "1.5000"
    child = subprocess.run(
        [sys.executable, "-c", "from anet.training import device; print(device.measured_bf16_speedup())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == "1.5"  # not measured again: inherited
    device.measured_bf16_speedup.cache_clear()
