"""anet.runtime.block: a stack of alternating 2D and (2+1)D residual modules."""

from __future__ import annotations

import itertools

import pytest
import torch

from anet.runtime import LEVEL_WIDTHS, REPEATS, Block, ResidualModule2D, ResidualModule2Plus1D, scale_channels

pytestmark = pytest.mark.usefixtures("native_convs")


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def bn(c: int) -> int:
    return 2 * c


def block_params(cin: int, c: int, d: int, repeats: int) -> int:
    """Module 0: 2D with projection; then (2+1)D at odd positions, 2D at even ones, input 4C."""
    tail = 3 * 3 * c * d + bn(d) + d * 4 * c + bn(4 * c)  # 3x3 C->D, 1x1 D->4C
    total = cin * c + bn(c) + tail + cin * 4 * c + bn(4 * c)
    for i in range(1, repeats):
        first = 3 * (4 * c) * c if i % 2 else (4 * c) * c  # temporal 3-tap or 1x1, 4C -> C
        total += first + bn(c) + tail
    return total


def test_level_widths_and_repeats():
    assert LEVEL_WIDTHS == {1: 64, 2: 128, 3: 256, 4: 512}
    assert REPEATS == {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


@pytest.mark.parametrize(
    ("cin", "c", "level", "repeats"),
    [
        (8, 4, 1, 3),
        (16, 8, 2, 4),
        (32, 4, 3, 6),
        (16, 2, 4, 3),
        (8, 2, 3, 23),
        (4, 4, 1, 1),
        (4, 4, 1, 2),
    ],
)
def test_parameter_counts(cin, c, level, repeats):
    block = Block(in_channels=cin, channels=c, level=level, r=2, stride=2, repeats=repeats)
    assert n_params(block) == block_params(cin, c, LEVEL_WIDTHS[level], repeats)


def test_modules_alternate_and_only_the_first_strides_and_projects():
    block = Block(in_channels=8, channels=4, level=2, r=4, stride=2, repeats=6)
    kinds = [type(m) for m in block.residuals]
    assert kinds == [ResidualModule2D, ResidualModule2Plus1D] * 3
    assert block.residuals[0].shortcut is not None
    assert block.residuals[0].spatial.conv.stride == (2, 2)
    for m in list(block.residuals)[1:]:
        assert m.shortcut is None and m.spatial.conv.stride == (1, 1)
    for m in block.residuals[1::2]:
        assert m.first.conv.dilation == (4, 1)
    assert all(m.spatial.conv.out_channels == 128 for m in block.residuals)


def test_first_module_projects_even_when_shapes_match():
    block = Block(in_channels=16, channels=4, level=1, r=1, stride=1, repeats=3)
    assert block.residuals[0].shortcut is not None


@pytest.mark.parametrize(
    ("c", "frames", "size", "stride"),
    list(
        itertools.product(
            [1, 3],
            [1, 3, 8],
            [32, 33, 56],
            [1, 2],
        )
    ),
)
def test_shapes(c, frames, size, stride):
    block = Block(in_channels=3, channels=c, level=1, r=2, stride=stride, repeats=2)
    x = torch.randn(1, 3, frames, size, size - 1)
    out = block(x)
    assert block.out_channels == 4 * c
    assert out.shape == (1, 4 * c, frames, -(-size // stride), -(-(size - 1) // stride))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"level": 0},
        {"level": 5},
        {"repeats": 0},
        {"stride": 0},
        {"r": 0},
        {"channels": 0},
    ],
)
def test_rejects_bad_arguments(kwargs):
    args = {"in_channels": 4, "channels": 2, "level": 1, "r": 1, "stride": 1, "repeats": 3} | kwargs
    with pytest.raises(ValueError):
        Block(**args)


@pytest.mark.parametrize("width", [1.0, 0.125, 0.3])
def test_width_multiplier_narrows_channels_and_the_3x3_width_as_version_1_code_did(width):
    """Generated code of runtime version 1 passed scaled counts and `mid_channels`; version 2 passes
    the file's C and `width`: the two build the same layers."""
    new = Block(in_channels=8, channels=32, level=2, r=2, stride=2, repeats=4, width=width)
    old = Block(
        in_channels=8,
        channels=scale_channels(32, width),
        mid_channels=scale_channels(LEVEL_WIDTHS[2], width),
        level=2,
        r=2,
        stride=2,
        repeats=4,
    )
    assert {k: v.shape for k, v in new.state_dict().items()} == {k: v.shape for k, v in old.state_dict().items()}
    assert new.out_channels == 4 * scale_channels(32, width)
