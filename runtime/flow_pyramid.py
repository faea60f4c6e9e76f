"""Coarse-to-fine TV-L1 optical flow in tensor operations (``flow pyramid`` in the header).

The single-scale layer of `flow.py` (the authors' layer, kept unchanged for the published models)
linearises the data term once around zero flow, so it cannot see motion beyond about a pixel; real
video at 224 px moves several pixels per frame. This layer is the usual TV-L1 of Zach, Pock and
Bischof (2007) with the refinements of Wedel et al. (2009) and OpenCV's implementation:

* an image pyramid (each level ``scale_step`` of the one above, down to ``min_size`` pixels), solved
  from the coarsest level up, so that large motion is small where it is first estimated;
* several warps per level: the second frame and its gradients are bilinearly resampled at the
  current flow and the data term is linearised again around it;
* the same primal-dual iteration as `flow.py` (thresholding step, backward-difference divergence,
  forward differences with a Neumann border) between warps;
* a median filter of the flow after each warp (`median.py`);
* replicated image borders (central differences and warping), where `flow.py` pads with zeros.

Flow is computed at ``resolution`` times the input size (the flow stem downsamples by 4 at once,
so half size loses little) and resized back, in pixels of the input.

Import rule: like all of ``anet.runtime`` this module imports only torch, never ``anet.dsl`` or
``anet.compiler``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .flow import (
    _EPS,
    _divergence,
    _forward_diff_x,
    _forward_diff_y,
    normalise_clips,
    primal_dual_steps,
)
from .layers import capturing_graph
from .median import median_filter

__all__ = ["PyramidFlow", "pyramid_tvl1_pairs"]

# Pixels per block of frame pairs that the in-place path solves at a time on CPU: 8 pairs of
# 112 x 112 (a 224 px clip at the default resolution 0.5). The iteration keeps about 18 frame-sized
# buffers, which then stay in a 16-32 MB cache; one block of all 31 pairs of a 32-frame clip was
# 1.3-1.4x slower on one thread (blocks of 4, 8 and 16 pairs were about equally fast).
_BLOCK_PIXELS = 8 * 112 * 112


class PyramidFlow(nn.Module):
    """Optical flow between consecutive frames of an RGB clip, by coarse-to-fine TV-L1 with warping.

    Same call convention as `RepresentationFlow`: rgb [B, 3, T, H, W] in [0, 1] -> flow
    [B, 2, T, H, W] in pixels of the input (channel 0 along x, channel 1 along y; the last frame
    repeats its predecessor's flow). All B*(T-1) frame pairs are solved as one batch.

    Args:
        scales: most pyramid levels (fewer when the image reaches ``min_size`` first).
        warps: re-linearisations of the data term per level.
        iterations: primal-dual iterations per warp.
        resolution: fraction of the input size the flow is computed at (0 < resolution <= 1).
        median: size of the median filter applied to the flow after each warp (odd; 1 = none).
        scale_step: size ratio between pyramid levels (0 < scale_step < 1).
        min_size: smallest side, in pixels, of the coarsest level.
        theta, lam, tau: TV-L1 weights, as in `RepresentationFlow`.

    There are no trainable parameters. Without autograd the iteration runs in place; when the
    input requires a gradient, or under tracing / ``torch.compile``, a functional version of the
    same iteration runs, which autograd differentiates (warping, median and thresholding included).
    The computation is always float32, also under autocast and for half-precision inputs (the
    output has the input's dtype): run in bfloat16 the same iteration turned to NaN on the half-size
    motorcycle pair and lost 3 % of accuracy at quarter size (benchmarks/flow_accuracy.py), and
    the layer is a small part of the network's time either way.
    """

    theta: Tensor
    lam: Tensor
    tau: Tensor

    def __init__(
        self,
        *,
        scales: int = 5,
        warps: int = 10,
        iterations: int = 10,
        resolution: float = 0.5,
        median: int = 3,
        scale_step: float = 0.5,
        min_size: int = 16,
        theta: float = 0.3,
        lam: float = 0.15,
        tau: float = 0.25,
    ) -> None:
        super().__init__()
        for name, value in (("scales", scales), ("warps", warps), ("iterations", iterations)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if isinstance(median, bool) or not isinstance(median, int) or median < 1 or median % 2 == 0:
            raise ValueError(f"median must be an odd integer >= 1 (1: no median), got {median!r}")
        if not 0 < resolution <= 1:
            raise ValueError(f"resolution must be in (0, 1], got {resolution!r}")
        if not 0 < scale_step < 1:
            raise ValueError(f"scale_step must be in (0, 1), got {scale_step!r}")
        if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 2:
            raise ValueError(f"min_size must be an integer >= 2, got {min_size!r}")
        if not theta > 0 or not lam >= 0 or not tau > 0:
            raise ValueError(f"need theta > 0, lam >= 0, tau > 0, got {theta!r}, {lam!r}, {tau!r}")
        self.scales, self.warps, self.iterations = scales, warps, iterations
        self.resolution, self.median = float(resolution), median
        self.scale_step, self.min_size = float(scale_step), min_size
        self.register_buffer("theta", torch.tensor(float(theta)))
        self.register_buffer("lam", torch.tensor(float(lam)))
        self.register_buffer("tau", torch.tensor(float(tau)))

    def extra_repr(self) -> str:
        return (
            f"scales={self.scales}, warps={self.warps}, iterations={self.iterations}, "
            f"resolution={self.resolution:g}, median={self.median}, scale_step={self.scale_step:g}, "
            f"min_size={self.min_size}, theta={float(self.theta):g}, lam={float(self.lam):g}, "
            f"tau={float(self.tau):g}"
        )

    def forward(self, rgb: Tensor) -> Tensor:
        """Return the flow [B, 2, T, H, W] of an RGB clip [B, 3, T, H, W] with values in [0, 1]."""
        if rgb.dim() != 5 or rgb.shape[1] != 3:
            raise ValueError(f"expected rgb of shape [B, 3, T, H, W], got {tuple(rgb.shape)}")
        batch, _, frames, height, width = rgb.shape
        with torch.autocast(rgb.device.type, enabled=False):
            work = rgb if rgb.dtype in (torch.float32, torch.float64) else rgb.float()
            if frames < 2:
                return work.new_zeros(batch, 2, frames, height, width).to(rgb.dtype)
            gray = normalise_clips(work.mean(dim=1))  # [B, T, H, W] in [0, 255]
            size = (max(2, round(float(height) * self.resolution)), max(2, round(float(width) * self.resolution)))
            if size != (height, width):
                gray = _area_resize(gray, size)
            first = gray[:, :-1].reshape(-1, *size)
            second = gray[:, 1:].reshape(-1, *size)
            flow = pyramid_tvl1_pairs(
                first,
                second,
                scales=self.scales,
                warps=self.warps,
                iterations=self.iterations,
                median=self.median,
                scale_step=self.scale_step,
                min_size=self.min_size,
                theta=float(self.theta),
                lam=float(self.lam),
                tau=float(self.tau),
            )  # [2, B*(T-1), h, w]
            if size != (height, width):
                flow = _resize_flow(flow, (height, width))
            flow = flow.view(2, batch, frames - 1, height, width).permute(1, 0, 2, 3, 4)
            return torch.cat((flow, flow[:, :, -1:]), dim=2).to(rgb.dtype)


def pyramid_tvl1_pairs(
    first: Tensor,
    second: Tensor,
    *,
    scales: int = 5,
    warps: int = 10,
    iterations: int = 10,
    median: int = 3,
    scale_step: float = 0.5,
    min_size: int = 16,
    theta: float = 0.3,
    lam: float = 0.15,
    tau: float = 0.25,
) -> Tensor:
    """Coarse-to-fine TV-L1 flow from each image of ``first`` [N, H, W] to ``second`` [N, H, W].

    Intensities in [0, 255]. Returns [2, N, H, W] (x and y displacement in pixels).
    """
    traced = capturing_graph()
    grad = torch.is_grad_enabled() and (first.requires_grad or second.requires_grad)
    functional = traced or grad or first.device.type == "meta"
    settings = dict(scales=scales, warps=warps, iterations=iterations, median=median, scale_step=scale_step)
    settings.update(min_size=min_size, theta=theta, lam=lam, tau=tau)
    block = max(1, _BLOCK_PIXELS // (first.shape[-1] * first.shape[-2]))
    if not functional and first.device.type == "cpu" and first.shape[0] > block:
        # Pairs are independent: solve cache-sized blocks of them one after the other.
        flows = [
            pyramid_tvl1_pairs(first[i : i + block], second[i : i + block], **settings)
            for i in range(0, len(first), block)
        ]
        return torch.cat(flows, dim=1)
    levels0, levels1 = _pyramid(first, second, scales, scale_step, min_size)
    flow: Tensor | None = None
    for image0, image1 in zip(reversed(levels0), reversed(levels1), strict=True):
        flow = first.new_zeros((2, *image0.shape)) if flow is None else _resize_flow(flow, image0.shape[-2:])
        if functional:
            flow = _solve_level_functional(image0, image1, flow, warps, iterations, median, theta, lam, tau)
        else:
            with torch.no_grad():
                flow = _solve_level_inplace(image0, image1, flow, warps, iterations, median, theta, lam, tau)
    assert flow is not None
    return flow


def _pyramid(
    first: Tensor, second: Tensor, scales: int, step: float, min_size: int
) -> tuple[list[Tensor], list[Tensor]]:
    """Both image batches at every level, finest first; area averaging between levels."""
    levels0, levels1 = [first], [second]
    while len(levels0) < scales:
        height, width = levels0[-1].shape[-2:]
        size = (round(float(height) * step), round(float(width) * step))
        if min(size) < min_size:
            break
        levels0.append(_area_resize(levels0[-1], size))
        levels1.append(_area_resize(levels1[-1], size))
    return levels0, levels1


def _area_resize(images: Tensor, size: tuple[int, int]) -> Tensor:
    """``images`` [N, H, W] or [N, C, H, W] averaged over areas down to ``size`` (`F.interpolate`'s "area" mode).

    The ONNX exporter cannot write that mode (adaptive average pooling) when it cannot see the
    input's size, as behind the dynamic batch, nor for sizes that do not divide it; the export
    records the same averages as two matrix products instead. Other runs keep torch's kernel,
    whose numbers the layer's tests pin.
    """
    if images.dim() == 3:
        return _area_resize(images[:, None], size)[:, 0]
    if not torch.onnx.is_in_onnx_export():
        return F.interpolate(images, size=size, mode="area")
    height, width = (int(n) for n in images.shape[-2:])  # the trace fixes the frame size anyway
    return _area_weights(height, size[0], images) @ images @ _area_weights(width, size[1], images).T


def _area_weights(source: int, target: int, like: Tensor) -> Tensor:
    """[target, source]: row i averages source pixels floor(i s / t) to ceil((i + 1) s / t) - 1,
    the windows of adaptive average pooling (a constant of the exported graph)."""
    windows = [(i * source // target, -(-(i + 1) * source // target)) for i in range(target)]
    rows = [[1.0 / (stop - start) if start <= j < stop else 0.0 for j in range(source)] for start, stop in windows]
    return torch.tensor(rows, dtype=like.dtype, device=like.device)


def _resize_flow(flow: Tensor, size: tuple[int, int] | torch.Size) -> Tensor:
    """Bilinear resize of flow [2, N, h, w] to ``size``, each component rescaled to the new pixels."""
    height, width = flow.shape[-2:]
    resized = F.interpolate(flow, size=tuple(size), mode="bilinear", align_corners=False)
    ratio = torch.tensor([size[1] / width, size[0] / height], dtype=flow.dtype, device=flow.device)
    return resized * ratio.view(2, 1, 1, 1)


def _central_gradients(image: Tensor) -> Tensor:
    """Central differences of ``image`` [N, H, W] with replicated borders, as [N, 2 (x, y), H, W]."""
    padded = F.pad(image[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
    grad_x = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    grad_y = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    return torch.stack((grad_x, grad_y), dim=1) * 0.5


class _Warper:
    """Bilinear resampling of the second image and its gradients at x + u (borders replicated)."""

    def __init__(self, image1: Tensor) -> None:
        height, width = image1.shape[-2:]
        self.stack = torch.cat((image1[:, None], _central_gradients(image1)), dim=1)  # [N, 3, H, W]
        # grid_sample wants coordinates in [-1, 1] (align_corners: -1 and 1 are the border pixels).
        self.scale = torch.tensor(
            [2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], dtype=image1.dtype, device=image1.device
        )
        xs = torch.arange(width, dtype=image1.dtype, device=image1.device) * self.scale[0] - 1
        ys = torch.arange(height, dtype=image1.dtype, device=image1.device) * self.scale[1] - 1
        self.base = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # [H, W, 2]

    def __call__(self, flow: Tensor) -> Tensor:
        """[N, 3 (I1, dI1/dx, dI1/dy), H, W] at x + flow, flow [2, N, H, W]."""
        grid = self.base + flow.permute(1, 2, 3, 0) * self.scale
        return F.grid_sample(self.stack, grid, mode="bilinear", padding_mode="border", align_corners=True)


def _solve_level_functional(
    image0: Tensor,
    image1: Tensor,
    flow: Tensor,
    warps: int,
    iterations: int,
    median: int,
    theta: float,
    lam: float,
    tau: float,
) -> Tensor:
    """One pyramid level without in-place operations (autograd, tracing, compiling).

    u is [2 (u1, u2), N, H, W], the dual variable p is [2 (x, y), 2 (u1, u2), N, H, W]; p carries
    over from one warp to the next, as in OpenCV.
    """
    warper = _Warper(image1)
    lam_theta, tau_theta = lam * theta, tau / theta
    u = flow
    p = image0.new_zeros((2, *u.shape))
    for _ in range(warps):
        warped = warper(u)
        grad_i = warped[:, 1:].transpose(0, 1)  # [2, N, H, W]
        grad_sq = grad_i[0] * grad_i[0] + grad_i[1] * grad_i[1] + _EPS
        rho_const = warped[:, 0] - grad_i[0] * u[0] - grad_i[1] * u[1] - image0
        for _ in range(iterations):
            rho = rho_const + grad_i[0] * u[0] + grad_i[1] * u[1]
            step = torch.clamp(-rho / grad_sq, min=-lam_theta, max=lam_theta)
            u = u + grad_i * step + theta * _divergence(p[0], p[1])
            grad_u = torch.stack((_forward_diff_x(u), _forward_diff_y(u)))
            norm = torch.sqrt(grad_u[0] * grad_u[0] + grad_u[1] * grad_u[1] + _EPS)
            p = (p + tau_theta * grad_u) / (1.0 + tau_theta * norm)
        u = median_filter(u, median)
    return u


def _solve_level_inplace(
    image0: Tensor,
    image1: Tensor,
    flow: Tensor,
    warps: int,
    iterations: int,
    median: int,
    theta: float,
    lam: float,
    tau: float,
) -> Tensor:
    """The same level as `_solve_level_functional`, in place on buffers allocated once.

    The iteration is `flow._tvl1_inplace`'s (read its docstring for the algebra): the flow is kept
    scaled, w = (tau/theta) u, the dual as q = tau p, and the thresholding argument is
    a + b1*w1 + b2*w2 with a = -rho_c/|gI|^2 and b = -gI/|gI|^2/(tau/theta). What is new is that a
    and b change with every warp, because gI and rho_c are those of the warped second image.
    """
    warper = _Warper(image1)
    lam_theta, tau_theta = lam * theta, tau / theta
    new = image0.new_empty
    w = flow.mul(tau_theta)  # [2, N, H, W]
    q = new((2, *w.shape)).zero_()  # [2 (x, y), 2 (u1, u2), N, H, W]
    grad_w = torch.zeros_like(q)  # the last column of grad_w[0] and last row of grad_w[1] stay 0
    denom, step_coef = torch.empty_like(w), torch.empty_like(w)
    rho_term, step = new(image0.shape), new(image0.shape)
    for _ in range(warps):
        warped = warper(w / tau_theta)
        grad_i = warped[:, 1:].transpose(0, 1)  # [2, N, H, W], (tau/theta) gI after the scaling below
        neg_inv_grad_sq = torch.mul(grad_i[0], grad_i[0], out=step)
        neg_inv_grad_sq.addcmul_(grad_i[1], grad_i[1]).add_(_EPS).reciprocal_().neg_()
        # rho_c = I1w - I0 - gI . u0; a = rho_c * (-1/|gI|^2); gI . u0 = gI . w / (tau/theta).
        torch.sub(warped[:, 0], image0, out=rho_term)
        rho_term.addcmul_(grad_i[0], w[0], value=-1.0 / tau_theta)
        rho_term.addcmul_(grad_i[1], w[1], value=-1.0 / tau_theta).mul_(neg_inv_grad_sq)
        torch.mul(grad_i, neg_inv_grad_sq, out=step_coef).mul_(1.0 / tau_theta)
        grad_i = grad_i.mul(tau_theta)
        # The eps of the functional path also keeps sqrt off denormal numbers (10x slower on CPU),
        # which uniform motion produces: there grad w is all but zero.
        primal_dual_steps(
            w, q, grad_w, grad_i, step_coef, rho_term, step, denom, iterations, lam_theta, tau, eps=_EPS * tau_theta**2
        )
        if median > 1:
            w.copy_(median_filter(w, median))
    return w.div_(tau_theta)
