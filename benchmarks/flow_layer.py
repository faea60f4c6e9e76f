"""Time the representation-flow layer on one AssembleNet clip (1 x 3 x 32 x 224 x 224).

AssembleNet computes its optical flow inside the model, and the authors' layer took about 40 % of
the forward time of AssembleNet-50 on a CPU; ours has to stay under 25 %. This script prints the
milliseconds per clip of

* ``eager``: the layer as it runs by default (no input requires a gradient: the in-place loop,
  frame pairs in cache-sized blocks);
* ``eager, one block``: the same loop over all 31 frame pairs at once (``pairs_per_block=31``);
* ``eager, autograd path``: the functional loop that runs when the input requires a gradient
  (forward only);
* ``authors' formulation``: a direct port of the authors' TensorFlow layer (three masks per
  iteration, convolutions for every difference, batch-wide normalisation), for comparison;
* ``torch.compile``: the layer compiled with inductor (``--compile``; the first call compiles
  the 40 unrolled iterations, about a minute on 2 cores unless inductor's on-disk cache has them).

Run from the repository root::

    python -m benchmarks.flow_layer [--repeats 5] [--compile] [--threads 2]

Timings on a shared machine vary a lot: each variant is run ``--repeats`` times, interleaved with
the others, and the minimum and the median are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from anet.runtime.flow import RepresentationFlow


def authors_formulation(rgb: Tensor, *, iterations: int = 40) -> Tensor:
    """The authors' TensorFlow layer, op for op, in PyTorch (their defects kept, for timing only)."""
    theta, lam, tau = 0.3, 0.15, 0.25
    batch, _, frames, height, width = rgb.shape
    gray = rgb.mean(dim=1)
    gray = 255 * (gray - gray.min()) / (gray.max() - gray.min())  # whole batch at once
    x = gray[:, :-1].reshape(-1, 1, height, width)
    y = gray[:, 1:].reshape(-1, 1, height, width)
    img_grad = torch.tensor([[[[-0.5, 0.0, 0.5]]]])
    f_grad = torch.tensor([[[[-1.0, 1.0]]]])

    def same_conv(image: Tensor, kernel: Tensor) -> Tensor:
        kh, kw = kernel.shape[-2:]
        return F.conv2d(F.pad(image, ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)), kernel)

    def forward_grad(u: Tensor) -> tuple[Tensor, Tensor]:
        return same_conv(u, f_grad), same_conv(u, f_grad.transpose(2, 3))

    def divergence(p1: Tensor, p2: Tensor) -> Tensor:
        p1 = F.pad(p1[:, :, :, :-1], (1, 0))
        p2 = F.pad(p2[:, :, :-1, :], (0, 0, 1, 0))
        return same_conv(p1, f_grad) + same_conv(p2, f_grad.transpose(2, 3))

    grad2_x = same_conv(y, img_grad)
    grad2_y = same_conv(y, img_grad.transpose(2, 3))
    u1, u2 = torch.zeros_like(x), torch.zeros_like(x)
    p11, p12, p21, p22 = (torch.zeros_like(x) for _ in range(4))
    l_t, taut = lam * theta, tau / theta
    grad = grad2_x**2 + grad2_y**2 + 1e-12
    rho_c = y - grad2_x * u1 - grad2_y * u2 - x
    zero = torch.zeros_like(x)
    for _ in range(iterations):
        rho = rho_c + grad2_x * u1 + grad2_y * u2 + 1e-12
        mask1 = rho < -l_t * grad
        mask2 = rho > l_t * grad
        mask3 = ~mask1 & ~mask2 & (grad > 1e-12)
        v1 = (
            torch.where(mask1, l_t * grad2_x, zero)
            + torch.where(mask2, -l_t * grad2_x, zero)
            + torch.where(mask3, (-rho / grad) * grad2_x, zero)
            + u1
        )
        v2 = (
            torch.where(mask1, l_t * grad2_y, zero)
            + torch.where(mask2, -l_t * grad2_y, zero)
            + torch.where(mask3, (-rho / grad) * grad2_y, zero)
            + u2
        )
        u1 = v1 + theta * divergence(p11, p12)
        u2 = v2 + theta * divergence(p21, p22)
        u1x, u1y = forward_grad(u1)
        u2x, u2y = forward_grad(u2)
        p11 = (p11 + taut * u1x) / (1.0 + taut * torch.sqrt(u1x**2 + u1y**2 + 1e-12))
        p12 = (p12 + taut * u1y) / (1.0 + taut * torch.sqrt(u1x**2 + u1y**2 + 1e-12))
        p21 = (p21 + taut * u2x) / (1.0 + taut * torch.sqrt(u2x**2 + u2y**2 + 1e-12))
        p22 = (p22 + taut * u2y) / (1.0 + taut * torch.sqrt(u2x**2 + u2y**2 + 1e-12))
    flow = torch.cat((u1, u2), dim=1).view(batch, frames - 1, 2, height, width).transpose(1, 2)
    return torch.cat((flow, flow[:, :, -1:]), dim=2)


def time_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (inductor)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the authors' formulation")
    parser.add_argument("--no-autograd", action="store_true", help="skip the autograd (functional) path")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rgb = torch.rand(1, 3, args.frames, args.size, args.size)
    layer = RepresentationFlow(iterations=args.iterations)

    one_block = RepresentationFlow(iterations=args.iterations, pairs_per_block=max(1, args.frames - 1))
    leaf = rgb.clone().requires_grad_(True)  # selects the autograd-friendly loop; no backward is run
    # name -> (function, whether it runs with autograd enabled)
    variants: dict[str, tuple[Callable[[], object], bool]] = {
        "eager": (lambda: layer(rgb), False),
        "eager, one block": (lambda: one_block(rgb), False),
    }
    if not args.no_autograd:
        variants["eager, autograd path"] = (lambda: layer(leaf), True)
    if not args.no_baseline:
        variants["authors' formulation"] = (lambda: authors_formulation(rgb, iterations=args.iterations), False)
    if args.compile:
        compiled = torch.compile(layer)
        with torch.no_grad():
            first_call = time_ms(lambda: compiled(rgb))
            difference = (compiled(rgb) - layer(rgb)).abs().max().item()
        print(f"torch.compile: first call (compiling) {first_call / 1000:.1f} s, max |diff| {difference:.2e}")
        variants["torch.compile"] = (lambda: compiled(rgb), False)

    shape = f"1x3x{args.frames}x{args.size}x{args.size}"
    print(f"{shape}, {args.iterations} iterations, {torch.get_num_threads()} threads, torch {torch.__version__}")
    for fn, grad in variants.values():  # warm-up: allocator, thread pool, lazy initialisation
        with torch.set_grad_enabled(grad):
            fn()
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (fn, grad) in variants.items():
            with torch.set_grad_enabled(grad):
                timings[name].append(time_ms(fn))
    for name, values in timings.items():
        print(f"{name:>22}: min {min(values):8.1f} ms   median {statistics.median(values):8.1f} ms per clip")


if __name__ == "__main__":
    main()
