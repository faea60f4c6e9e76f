"""Which layout should anet.runtime use for the per-frame ("2D") convolutions of a video block?

Tensors are [B, C, T, H, W] everywhere. A per-frame k x k conv can be written as

* ``conv3d``: ``nn.Conv3d`` with kernel (1, k, k) straight on the 5D tensor (no layout change);
* ``conv2d+copy``: permute/reshape to [B*T, C, H, W], ``nn.Conv2d``, permute back (two copies);
* ``conv2d-CL``: the same Conv2d, but on activations stored channels-last (``channels_last_3d``),
  where the [B*T, C, H, W] view is free; temporal convs become (3, 1) Conv2d on the free
  [B, C, T, H*W] view. This column runs the real ``anet.runtime`` modules (the other two use a
  (3, 1, 1) Conv3d for the temporal conv).

All three hold exactly the same parameters (asserted). The script times a 2D module (first of a
block: stride + projection shortcut) and a (2+1)D module of an AssembleNet-50 block at each paper
level with the real channel counts and sizes (224x224 input: 56/28/14/7 pixels; C from Table 5 of
the paper), each conv of the 2D module alone, and the stem's 3x3 max-pool, forward and
forward+backward, on the CPU with two threads. The machine may be shared, so variants run
interleaved and the minimum over the repeats is reported.

Usage: ``python -m benchmarks.runtime_conv_layout [--frames 8] [--batch 1] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from anet.runtime import LEVEL_WIDTHS, ResidualModule2D, ResidualModule2Plus1D
from anet.runtime.layers import FrameConvBN, SameMaxPool, per_frame

VARIANTS = ("conv3d", "conv2d+copy", "conv2d-CL")
# (paper level, block input channels, C, input size); AssembleNet-50 (Table 5), 224x224 clips.
LEVELS = [(1, 32, 32, 56), (2, 128, 64, 56), (3, 256, 256, 28), (4, 1024, 512, 14)]


class Conv3dFrame(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, (1, k, k), (1, stride, stride), (0, k // 2, k // 2), bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class Conv2dCopy(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, c, t, h, w = x.shape
        y = self.conv(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.view(b, t, *y.shape[1:]).transpose(1, 2).contiguous()


class Unit(nn.Module):
    """conv + BN (+ ReLU) built from one of the contiguous-layout conv flavours."""

    def __init__(self, conv: nn.Module, cout: int, relu: bool = True) -> None:
        super().__init__()
        self.conv, self.bn, self.relu = conv, nn.BatchNorm3d(cout), relu

    def forward(self, x: Tensor) -> Tensor:
        y = self.bn(self.conv(x))
        return y.relu_() if self.relu else y


class Bottleneck(nn.Module):
    """Same structure and forward as anet.runtime's residual modules, contiguous layout."""

    def __init__(
        self, make: type[nn.Module], cin: int, c: int, d: int, stride: int, *, r: int | None, project: bool
    ) -> None:
        super().__init__()
        first = (
            nn.Conv3d(cin, c, (3, 1, 1), padding=(r, 0, 0), dilation=(r, 1, 1), bias=False) if r else make(cin, c, 1, 1)
        )
        self.first = Unit(first, c)
        self.spatial = Unit(make(c, d, 3, stride), d)
        self.expand = Unit(make(d, 4 * c, 1, 1), 4 * c, relu=False)
        self.shortcut = Unit(make(cin, 4 * c, 1, stride), 4 * c, relu=False) if project else None

    def forward(self, x: Tensor) -> Tensor:
        y = self.expand(self.spatial(self.first(x)))
        return y.add_(x if self.shortcut is None else self.shortcut(x)).relu_()


class ContiguousPool(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool3d(x, (1, 3, 3), (1, 2, 2), (0, 1, 1), ceil_mode=True)


def module_variants(level: int, cin: int, c: int, stride: int, temporal: bool) -> dict[str, nn.Module]:
    d, r = LEVEL_WIDTHS[level], 2
    if temporal:
        return {
            "conv3d": Bottleneck(Conv3dFrame, cin, c, d, 1, r=r, project=False),
            "conv2d+copy": Bottleneck(Conv2dCopy, cin, c, d, 1, r=r, project=False),
            "conv2d-CL": ResidualModule2Plus1D(in_channels=cin, channels=c, width=d, r=r),
        }
    return {
        "conv3d": Bottleneck(Conv3dFrame, cin, c, d, stride, r=None, project=True),
        "conv2d+copy": Bottleneck(Conv2dCopy, cin, c, d, stride, r=None, project=True),
        "conv2d-CL": ResidualModule2D(in_channels=cin, channels=c, width=d, stride=stride, project=True),
    }


def conv_variants(cin: int, cout: int, k: int, stride: int) -> dict[str, nn.Module]:
    return {
        "conv3d": Conv3dFrame(cin, cout, k, stride),
        "conv2d+copy": Conv2dCopy(cin, cout, k, stride),
        "conv2d-CL": FrameConvBN(in_channels=cin, out_channels=cout, kernel=k, stride=stride, relu=False).conv,
    }


class CLFrameConv(nn.Module):
    """The runtime's per-frame conv view without its BN, for the single-conv rows."""

    def __init__(self, conv: nn.Module) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: Tensor) -> Tensor:
        return per_frame(self.conv, x)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def measure(
    mods: dict[str, nn.Module],
    shape: tuple[int, ...],
    repeats: int,
) -> dict[str, tuple[float, float]]:
    """Min forward and forward+backward ms per variant, variants interleaved."""
    base = torch.randn(shape)
    # Inputs need gradients, as inside a network (and a pool has no parameters to differentiate).
    inputs = {
        k: (
            base.contiguous(memory_format=torch.channels_last_3d) if k == "conv2d-CL" else base.clone()
        ).requires_grad_()
        for k in mods
    }
    best = {k: [float("inf"), float("inf")] for k in mods}
    for rep in range(repeats + 1):
        for k, m in mods.items():
            x = inputs[k]
            t0 = time.perf_counter()
            with torch.no_grad():
                m(x)
            t1 = time.perf_counter()
            m.zero_grad(set_to_none=True)
            x.grad = None
            m(x).sum().backward()
            t2 = time.perf_counter()
            if rep:  # the first round creates oneDNN primitives and buffers
                best[k] = [min(best[k][0], (t1 - t0) * 1e3), min(best[k][1], (t2 - t1) * 1e3)]
    return {k: (v[0], v[1]) for k, v in best.items()}


def warm_up(seconds: float = 3.0) -> None:
    """Run the cores and touch memory first: fresh VM memory and idle clocks distort early timings."""
    a = torch.randn(1024, 1024)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a @ a
        torch.empty(64, 1 << 20).fill_(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    b, t = args.batch, args.frames
    warm_up()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, B={b}, T={t}, "
        f"min of {args.repeats} interleaved runs, ms (fwd = no_grad forward, f+b = forward+backward)"
    )
    head = f"{'layer':38s}" + "".join(f" {v + ' fwd':>16s} {v + ' f+b':>16s}" for v in VARIANTS)
    print(head)
    print("-" * len(head))
    total = {v: [0.0, 0.0] for v in VARIANTS}

    def row(name: str, res: dict[str, tuple[float, float]]) -> None:
        print(f"{name:38s}" + "".join(f" {res[v][0]:16.2f} {res[v][1]:16.2f}" for v in VARIANTS), flush=True)

    def run(name: str, mods: dict[str, nn.Module], shape: tuple[int, ...], whole: bool) -> None:
        counts = {n_params(m) for m in mods.values()}
        assert len(counts) == 1, f"parameter counts differ: {counts}"
        res = measure(mods, shape, args.repeats)
        row(name, res)
        if whole:
            for v in VARIANTS:
                total[v][0] += res[v][0]
                total[v][1] += res[v][1]

    run(
        "stem 3x3 max-pool s2, 64ch @112",
        {"conv3d": ContiguousPool(), "conv2d+copy": ContiguousPool(), "conv2d-CL": SameMaxPool(kernel=3, stride=2)},
        (b, 64, t, 112, 112),
        whole=False,
    )
    for level, cin, c, size in LEVELS:
        stride, d = (1 if level == 1 else 2), LEVEL_WIDTHS[level]
        out = -(-size // stride)
        for name, ci, co, k, s, hw in [
            (f"L{level} 1x1 {cin}->{c} @{size}", cin, c, 1, 1, size),
            (f"L{level} 3x3 {c}->{d} s{stride} @{size}", c, d, 3, stride, size),
            (f"L{level} 1x1 {d}->{4 * c} @{out}", d, 4 * c, 1, 1, out),
            (f"L{level} proj 1x1 {cin}->{4 * c} s{stride} @{size}", cin, 4 * c, 1, stride, size),
        ]:
            mods = conv_variants(ci, co, k, s)
            mods["conv2d-CL"] = CLFrameConv(mods["conv2d-CL"])
            run(name, mods, (b, ci, t, hw, hw), whole=False)
        run(
            f"L{level} 2D module (first, s{stride})",
            module_variants(level, cin, c, stride, False),
            (b, cin, t, size, size),
            whole=True,
        )
        run(f"L{level} (2+1)D module", module_variants(level, 4 * c, c, 1, True), (b, 4 * c, t, out, out), whole=True)
    print("-" * len(head))
    row("sum of the 8 module rows", {v: (total[v][0], total[v][1]) for v in VARIANTS})
    best = min(VARIANTS, key=lambda v: total[v][1])
    print(f"fastest forward+backward over whole modules: {best}")


if __name__ == "__main__":
    main()
