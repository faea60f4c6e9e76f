"""Which layout should the runtime use for the 2D (spatial and 1x1) convolutions of a video block?

Tensors are [B, C, T, H, W] everywhere. A per-frame 2D convolution can be written two ways:

* ``conv3d``: ``nn.Conv3d`` with kernel (1, k, k) straight on the 5D tensor (no layout change);
* ``conv2d``: permute/reshape to [B*T, C, H, W], ``nn.Conv2d``, and back (two copies per conv).

Both have exactly the same parameters. This script times both for the real layer shapes of an
AssembleNet-50 block at each level (224x224 input, so 56/28/14/7 pixels; channels from Table 5 of
the paper), forward and forward+backward, on the CPU with two threads, and prints the table.
The temporal (3x1x1) conv is the same in both variants (``nn.Conv3d``), so it is included in the
whole-module rows but not compared on its own.

Usage: ``python benchmarks/runtime_conv_layout.py [--frames 8] [--batch 1] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

# (level, in_channels, C, D, spatial size at the block input); AssembleNet-50, 224x224 input.
LEVELS = [
    (1, 128, 32, 64, 56),
    (2, 256, 64, 128, 56),
    (3, 1024, 256, 256, 28),
    (4, 1024, 512, 512, 14),
]


class Conv2dOn5D(nn.Module):
    """A per-frame 2D conv on [B, C, T, H, W] via reshape to [B*T, C, H, W]."""

    def __init__(self, cin: int, cout: int, k: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, c, t, h, w = x.shape
        y = self.conv(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.reshape(b, t, y.shape[1], y.shape[2], y.shape[3]).transpose(1, 2).contiguous()


def conv3d(cin: int, cout: int, k: int, stride: int) -> nn.Module:
    return nn.Conv3d(cin, cout, (1, k, k), stride=(1, stride, stride), padding=(0, k // 2, k // 2), bias=False)


def conv2d(cin: int, cout: int, k: int, stride: int) -> nn.Module:
    return Conv2dOn5D(cin, cout, k, stride)


def temporal(cin: int, cout: int, r: int = 2) -> nn.Module:
    return nn.Conv3d(cin, cout, (3, 1, 1), padding=(r, 0, 0), dilation=(r, 1, 1), bias=False)


class Bottleneck(nn.Module):
    """A 2D or (2+1)D bottleneck module built with one conv flavour (as in runtime/modules.py)."""

    def __init__(self, make: Callable[..., nn.Module], cin: int, c: int, d: int, stride: int, *,
                 temporal_first: bool, project: bool) -> None:
        super().__init__()
        self.first = temporal(cin, c) if temporal_first else make(cin, c, 1, 1)
        self.bn1 = nn.BatchNorm3d(c)
        self.spatial = make(c, d, 3, stride)
        self.bn2 = nn.BatchNorm3d(d)
        self.expand = make(d, 4 * c, 1, 1)
        self.bn3 = nn.BatchNorm3d(4 * c)
        self.proj = make(cin, 4 * c, 1, stride) if project else None
        self.bnp = nn.BatchNorm3d(4 * c) if project else None

    def forward(self, x: Tensor) -> Tensor:
        y = self.bn1(self.first(x)).relu_()
        y = self.bn2(self.spatial(y)).relu_()
        y = self.bn3(self.expand(y))
        s = x if self.proj is None else self.bnp(self.proj(x))
        return (y + s).relu_()


def time_fn(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (oneDNN primitive creation)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def bench(module: nn.Module, x: Tensor, repeats: int) -> tuple[float, float]:
    def fwd() -> None:
        with torch.no_grad():
            module(x)

    xg = x.clone().requires_grad_(False)

    def fwd_bwd() -> None:
        module.zero_grad(set_to_none=True)
        module(xg).sum().backward()

    return time_fn(fwd, repeats), time_fn(fwd_bwd, repeats)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    b, t = args.batch, args.frames
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, B={b}, T={t}; median ms")
    header = f"{'layer':44s} {'conv3d fwd':>11s} {'conv2d fwd':>11s} {'conv3d f+b':>11s} {'conv2d f+b':>11s}"
    print(header)
    print("-" * len(header))
    totals = {"conv3d": [0.0, 0.0], "conv2d": [0.0, 0.0]}
    for level, cin, c, d, size in LEVELS:
        stride = 1 if level == 1 else 2
        out = -(-size // stride)
        cases = [
            (f"L{level} 1x1 {cin}->{c} @{size}", cin, c, 1, 1, size),
            (f"L{level} 3x3 {c}->{d} s{stride} @{size}", c, d, 3, stride, size),
            (f"L{level} 3x3 {c}->{d} @{out}", c, d, 3, 1, out),
            (f"L{level} 1x1 {d}->{4 * c} @{out}", d, 4 * c, 1, 1, out),
            (f"L{level} proj 1x1 {cin}->{4 * c} s{stride} @{size}", cin, 4 * c, 1, stride, size),
        ]
        for name, ci, co, k, s, hw in cases:
            x = torch.randn(b, ci, t, hw, hw)
            a, bb = conv3d(ci, co, k, s), conv2d(ci, co, k, s)
            assert n_params(a) == n_params(bb)
            ra, rb = bench(a, x, args.repeats), bench(bb, x, args.repeats)
            print(f"{name:44s} {ra[0]:11.2f} {rb[0]:11.2f} {ra[1]:11.2f} {rb[1]:11.2f}")
        for first, tf, proj, s, hw, ci in [("2D first", False, True, stride, size, cin),
                                           ("(2+1)D", True, False, 1, out, 4 * c)]:
            x = torch.randn(b, ci, t, hw, hw)
            a = Bottleneck(conv3d, ci, c, d, s, temporal_first=tf, project=proj)
            bb = Bottleneck(conv2d, ci, c, d, s, temporal_first=tf, project=proj)
            assert n_params(a) == n_params(bb)
            ra, rb = bench(a, x, args.repeats), bench(bb, x, args.repeats)
            name = f"L{level} whole {first} module"
            print(f"{name:44s} {ra[0]:11.2f} {rb[0]:11.2f} {ra[1]:11.2f} {rb[1]:11.2f}")
            for key, r in (("conv3d", ra), ("conv2d", rb)):
                totals[key][0] += r[0]
                totals[key][1] += r[1]
    print("-" * len(header))
    name = "sum of whole-module rows"
    print(f"{name:44s} {totals['conv3d'][0]:11.2f} {totals['conv2d'][0]:11.2f} "
          f"{totals['conv3d'][1]:11.2f} {totals['conv2d'][1]:11.2f}")
    fast = "conv3d" if totals["conv3d"][1] <= totals["conv2d"][1] else "conv2d"
    print(f"faster (forward+backward, whole modules): {fast}")


if __name__ == "__main__":
    main()
