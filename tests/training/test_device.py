"""--device names are checked before anything is built."""

from __future__ import annotations

import pytest
import torch

from anet.training.device import DeviceError, parse_device


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
