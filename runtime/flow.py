"""In-network TV-L1 optical flow from the RGB clip (the "representation flow" layer).

AssembleNet does not load precomputed flow: its flow stems read optical flow that the model itself
computes from the RGB clip with "TV-L1 implemented with tensor operations" (paper, appendix). The
authors use the representation-flow layer of Piergiovanni & Ryoo (CVPR 2019), which unrolls a fixed
number of iterations of the duality-based TV-L1 scheme of Zach, Pock & Bischof (DAGM 2007): one
scale, the data term linearised around u = 0 (no warping, no pyramid), nothing trained.

Differences from the authors' layer, each on purpose (see the "Known defects" of the reference):

* min/max normalisation is done per clip, not over the whole batch, so a clip's flow does not
  depend on the other clips it is batched with;
* theta, lambda and tau are registered buffers, so all three are saved with the model;
* the number of frames is read from the input, so one instance runs on clips of any length;
* the flow's forward differences are 0 at the last column (row), as in the published PyTorch
  code and OpenCV (a Neumann border); the TF layer's 'SAME' convolution pads with zero and reads
  0 - u there. The flow differs only near the last row and column, by up to about 1 px there
  (measured 0.2-0.65 px for 1-2 px motion; tests/runtime/test_flow.py pins it).

For motion beyond about a pixel use the coarse-to-fine layer of `flow_pyramid.py`; this one is
kept bit for bit, since the published models were trained with it.

Import rule: like all of ``anet.runtime`` this module imports only torch, never ``anet.dsl`` or
``anet.compiler``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .layers import capturing_graph

__all__ = ["RepresentationFlow", "tvl1_pairs"]

# Guards from the published representation-flow code: they keep |grad I|^2 and |grad u| away from 0
# (division by |grad I|^2, derivative of the square root) without changing results measurably.
_EPS = 1e-12
# Smallest clip range used by the min/max normalisation. A constant clip has range 0; any finite
# scale then maps it to 0, and 255 / 1e-12 stays finite so no inf * 0 = nan appears, in the
# forward or the backward pass.
_MIN_RANGE = 1e-12
# Frame pairs per block of the in-place loop, in pixels: 4 pairs of 224x224. The loop keeps about
# 18 frame-sized float32 buffers, so a block's working set is about 15 MB and stays in a 16-32 MB
# last-level cache across the 40 iterations; all pairs at once (31 pairs for a 32-frame clip) are
# about 110 MB and every pass goes to DRAM. On the 2-core target machine (benchmarks/flow_layer.py)
# blocks made a 32-frame clip about 2x faster (1 thread: 430 vs 770 ms). The price is 8x more,
# smaller operations, which costs more when other processes compete for the cores.
_BLOCK_PIXELS = 4 * 224 * 224


class RepresentationFlow(nn.Module):
    """Optical flow between consecutive frames of an RGB clip, by unrolled TV-L1.

    ::

        rgb [B, 3, T, H, W] in [0, 1]
          -> grayscale (mean over RGB), min/max normalised to [0, 255] per clip
          -> frame pairs (t, t+1) as one batch of B*(T-1) images
          -> `iterations` TV-L1 steps, vectorised over all pairs (on CPU without autograd: over
             cache-sized blocks of pairs, one block after the other)
          -> flow [B, 2, T-1, H, W], last frame's flow repeated -> [B, 2, T, H, W]

    Channel 0 is u1, the displacement along x (width; positive = content moves right), channel 1
    is u2, the displacement along y (height; positive = content moves down), both in pixels.

    Args:
        iterations: number of TV-L1 iterations (40 in AssembleNet).
        theta: coupling weight between the flow and its auxiliary variable (0.3).
        lam: weight of the data term (0.15); ``lambda`` is a Python keyword.
        tau: time step of the dual update (0.25).
        pairs_per_block: frame pairs that the in-place loop (no gradient) runs through all
            iterations at a time, so that its buffers stay in the CPU cache; ``None`` picks as many
            as fit in about 200k pixels (4 pairs of 224x224) on CPU and all pairs on other
            devices. Blocks do not change the result, since every pair is computed on its own.

    The layer has no trainable parameters. theta, lambda and tau are buffers so that they are
    part of ``state_dict`` (the authors' TensorFlow layer did not save theta). When no input
    requires a gradient the iterations run in place under ``torch.no_grad`` (flow computed from raw
    RGB never needs one); otherwise, and under ``torch.jit.trace``, ONNX export and
    ``torch.compile``, a functional version of the same iteration runs, which autograd can
    differentiate and which traces to a graph of plain tensor operations.
    """

    theta: Tensor
    lam: Tensor
    tau: Tensor

    def __init__(
        self,
        *,
        iterations: int = 40,
        theta: float = 0.3,
        lam: float = 0.15,
        tau: float = 0.25,
        pairs_per_block: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
            raise ValueError(f"iterations must be an integer >= 0, got {iterations!r}")
        if not theta > 0:
            raise ValueError(f"theta must be > 0 (the flow update divides by it), got {theta!r}")
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam!r}")
        if not tau > 0:
            raise ValueError(f"tau must be > 0, got {tau!r}")
        if pairs_per_block is not None and (not isinstance(pairs_per_block, int) or pairs_per_block < 1):
            raise ValueError(f"pairs_per_block must be None or an integer >= 1, got {pairs_per_block!r}")
        self.iterations = iterations
        self.pairs_per_block = pairs_per_block
        self.register_buffer("theta", torch.tensor(float(theta)))
        self.register_buffer("lam", torch.tensor(float(lam)))
        self.register_buffer("tau", torch.tensor(float(tau)))

    def extra_repr(self) -> str:
        text = (
            f"iterations={self.iterations}, theta={float(self.theta):g}, "
            f"lam={float(self.lam):g}, tau={float(self.tau):g}"
        )
        return text if self.pairs_per_block is None else f"{text}, pairs_per_block={self.pairs_per_block}"

    def forward(self, rgb: Tensor) -> Tensor:
        """Return the flow [B, 2, T, H, W] of an RGB clip [B, 3, T, H, W] with values in [0, 1]."""
        if rgb.dim() != 5 or rgb.shape[1] != 3:
            raise ValueError(f"expected rgb of shape [B, 3, T, H, W], got {tuple(rgb.shape)}")
        batch, _, frames, height, width = rgb.shape
        # Half-precision inputs are computed in float32: 1e-12 guards underflow in float16.
        work = rgb if rgb.dtype in (torch.float32, torch.float64) else rgb.float()
        if frames < 2:
            # A single frame has no successor, so there is no motion to measure.
            return work.new_zeros(batch, 2, frames, height, width).to(rgb.dtype)
        gray = normalise_clips(work.mean(dim=1))  # [B, T, H, W] in [0, 255]
        first = gray[:, :-1].reshape(-1, height, width)  # frames t, as B*(T-1) images
        second = gray[:, 1:].reshape(-1, height, width)  # frames t+1
        flow = tvl1_pairs(
            first,
            second,
            iterations=self.iterations,
            theta=self.theta,
            lam=self.lam,
            tau=self.tau,
            pairs_per_block=self.pairs_per_block,
        )  # [2, B*(T-1), H, W]
        flow = flow.view(2, batch, frames - 1, height, width).permute(1, 0, 2, 3, 4)
        # The last frame has no successor: repeat its predecessor's flow so the flow clip keeps T
        # frames, as the authors do.
        return torch.cat((flow, flow[:, :, -1:]), dim=2).to(rgb.dtype)


def normalise_clips(gray: Tensor) -> Tensor:
    """Min/max normalise each clip of ``gray`` [B, T, H, W] to [0, 255] on its own.

    TV-L1's lambda weighs the data term against smoothness in units of intensity, so the
    intensity range must be fixed: the representation-flow layer maps it to [0, 255]. It does so
    per clip here; the authors' version took the min and max over the whole batch.
    """
    low = gray.amin(dim=(1, 2, 3), keepdim=True)
    high = gray.amax(dim=(1, 2, 3), keepdim=True)
    return (gray - low) * (255.0 / (high - low).clamp_min(_MIN_RANGE))


def tvl1_pairs(
    first: Tensor,
    second: Tensor,
    *,
    iterations: int = 40,
    theta: float | Tensor = 0.3,
    lam: float | Tensor = 0.15,
    tau: float | Tensor = 0.25,
    pairs_per_block: int | None = None,
) -> Tensor:
    """TV-L1 flow from each image of ``first`` [N, H, W] to the same image of ``second``.

    Returns [2, N, H, W]: (u1, u2), the x and y displacements in pixels. Intensities are expected
    in [0, 255] (lambda is tuned for that range). Picks the in-place iteration when autograd,
    tracing and compiling are all out of the picture, else the functional one (which runs all
    pairs at once and ignores ``pairs_per_block``).
    """
    traced = capturing_graph()
    grad = torch.is_grad_enabled() and (
        first.requires_grad
        or second.requires_grad
        or any(isinstance(v, Tensor) and v.requires_grad for v in (theta, lam, tau))
    )
    if traced or grad or first.device.type == "meta":
        return _tvl1_functional(first, second, iterations, theta, lam, tau)
    height, width = first.shape[-2:]
    if pairs_per_block is None:
        # Blocking is for CPU caches; on an accelerator one block of all pairs means fewer launches.
        on_cpu = first.device.type == "cpu"
        pairs_per_block = max(1, _BLOCK_PIXELS // max(1, height * width)) if on_cpu else first.shape[0]
    with torch.no_grad():
        return _tvl1_inplace(first, second, iterations, float(theta), float(lam), float(tau), pairs_per_block)


def _image_gradients(image: Tensor) -> Tensor:
    """Central differences [-0.5, 0, 0.5] with zero padding, stacked as [2 (x, y), N, H, W].

    This is the representation-flow layer's convolution with 'SAME' zero padding, as in the
    authors' TensorFlow code (the PyTorch original instead patched the border with one-sided
    differences of the first image).
    """
    padded = F.pad(image, (1, 1, 1, 1))
    grad_x = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    grad_y = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    return torch.stack((grad_x, grad_y)) * 0.5


def _tvl1_functional(
    first: Tensor,
    second: Tensor,
    iterations: int,
    theta: float | Tensor,
    lam: float | Tensor,
    tau: float | Tensor,
) -> Tensor:
    """TV-L1 iterations written without in-place operations (autograd, tracing, compiling).

    Follows the published representation-flow layer step by step, for both flow components at
    once: U is [2 (u1, u2), N, H, W] and the dual variable P is [2 (x, y), 2 (u1, u2), N, H, W].
    """
    grad_i = _image_gradients(second)  # gradients of the second image, as in the layer
    grad_sq = grad_i[0] * grad_i[0] + grad_i[1] * grad_i[1] + _EPS
    neg_inv_grad_sq = -1.0 / grad_sq
    rho_const = second - first + _EPS  # rho(u) = I1 - I0 + grad I1 . u (linearised at u = 0)
    lam_theta = lam * theta
    tau_theta = tau / theta
    u = second.new_zeros((2, *second.shape))
    p = second.new_zeros((2, 2, *second.shape))
    for _ in range(iterations):
        # Thresholding step of TV-L1 in closed form: the three cases (rho < -lt|gI|^2,
        # rho > lt|gI|^2, otherwise) of Zach et al. are one clamp of the step -rho / |gI|^2.
        rho = rho_const + grad_i[0] * u[0] + grad_i[1] * u[1]
        step = torch.clamp(rho * neg_inv_grad_sq, min=-lam_theta, max=lam_theta)
        v = u + grad_i * step
        u = v + theta * _divergence(p[0], p[1])
        grad_u = torch.stack((_forward_diff_x(u), _forward_diff_y(u)))
        norm = torch.sqrt(grad_u[0] * grad_u[0] + grad_u[1] * grad_u[1] + _EPS)
        p = (p + tau_theta * grad_u) / (1.0 + tau_theta * norm)
    return u


def _forward_diff_x(u: Tensor) -> Tensor:
    """Forward difference [-1, 1] along x; the last column is 0 (Neumann boundary)."""
    return F.pad(u[..., 1:] - u[..., :-1], (0, 1))


def _forward_diff_y(u: Tensor) -> Tensor:
    """Forward difference [-1, 1] along y; the last row is 0 (Neumann boundary)."""
    return F.pad(u[..., 1:, :] - u[..., :-1, :], (0, 0, 0, 1))


def _divergence(p_x: Tensor, p_y: Tensor) -> Tensor:
    """Backward-difference divergence, the negative adjoint of the forward differences above.

    As in the representation-flow layer, the last column of p_x and the last row of p_y are
    dropped (they are 0 anyway, since the forward differences are 0 there).
    """
    p_x = p_x[..., :-1]
    p_y = p_y[..., :-1, :]
    return F.pad(p_x, (0, 1)) - F.pad(p_x, (1, 0)) + F.pad(p_y, (0, 0, 0, 1)) - F.pad(p_y, (0, 0, 1, 0))


def _tvl1_inplace(
    first: Tensor,
    second: Tensor,
    iterations: int,
    theta: float,
    lam: float,
    tau: float,
    pairs_per_block: int,
) -> Tensor:
    """The same iterations as `_tvl1_functional`, rewritten for speed in eager mode.

    Every elementwise pass over 224x224 frames is bound by memory traffic, so:

    * the pairs are processed in blocks of ``pairs_per_block`` that run all iterations before
      the next block starts, so the buffers stay in cache (see `_BLOCK_PIXELS`); within a block
      every operation covers all its pairs at once;
    * the loop works in place on buffers allocated once, with 16 passes per iteration instead of
      about 30: constant factors are folded into precomputed images (the clamp argument is
      a + b1*u1 + b2*u2 with a = -rho_c/|gI|^2, b = -gI/|gI|^2: two fused multiply-adds); the
      flow is kept scaled, w = (tau/theta) u, and the dual as q = tau p, which removes the scalar
      multiplications from the dual update, q <- (q + tau grad w) / (1 + |grad w|), and from
      w <- w + (tau/theta) gI step + div q; forward differences are written straight into
      buffers whose last column / row stay 0; the divergence is four shifted in-place
      subtractions instead of padded convolutions;
    * the eps of the published code inside the square root of |grad u| is left out: it changes
      1 + |grad w| by at most 1e-6 tau/theta.
    """
    count, height, width = first.shape
    block = max(1, min(pairs_per_block, count))
    tau_theta = tau / theta
    lam_theta = lam * theta
    flow = first.new_empty((2, count, height, width))
    # Buffers for one block; a shorter last block uses their leading pairs.
    new = first.new_empty
    grad_i_buf = new((2, block, height, width))  # (tau/theta) gI
    step_coef_buf = new((2, block, height, width))  # b = -gI / |gI|^2 / (tau/theta)
    rho_term_buf = new((block, height, width))  # a = -rho_c / |gI|^2
    step_buf = new((block, height, width))
    w_buf = new((2, block, height, width))  # [2 (u1, u2), pairs, H, W]
    q_buf = new((2, 2, block, height, width))  # [2 (x, y), 2 (u1, u2), pairs, H, W]
    grad_w_buf = new((2, 2, block, height, width))  # same layout as q
    denom_buf = new((2, block, height, width))
    for start in range(0, count, block):
        n = min(block, count - start)
        img0, img1 = first[start : start + n], second[start : start + n]
        grad_i, step_coef = grad_i_buf[:, :n], step_coef_buf[:, :n]
        rho_term, step = rho_term_buf[:n], step_buf[:n]
        w, q, grad_w, denom = w_buf[:, :n], q_buf[:, :, :n], grad_w_buf[:, :, :n], denom_buf[:, :n]

        grad_i.copy_(_image_gradients(img1))
        neg_inv_grad_sq = torch.mul(grad_i[0], grad_i[0], out=step)  # step is free until the loop
        neg_inv_grad_sq.addcmul_(grad_i[1], grad_i[1]).add_(_EPS).reciprocal_().neg_()
        torch.sub(img1, img0, out=rho_term).add_(_EPS).mul_(neg_inv_grad_sq)
        # b is used with w = (tau/theta) u, hence the division by tau/theta.
        torch.mul(grad_i, neg_inv_grad_sq, out=step_coef).mul_(1.0 / tau_theta)
        grad_i.mul_(tau_theta)
        w.zero_()
        q.zero_()
        grad_w.zero_()  # the last column of grad_w[0] and last row of grad_w[1] stay 0
        primal_dual_steps(w, q, grad_w, grad_i, step_coef, rho_term, step, denom, iterations, lam_theta, tau)
        torch.mul(w, 1.0 / tau_theta, out=flow[:, start : start + n])
    return flow


def primal_dual_steps(
    w: Tensor,
    q: Tensor,
    grad_w: Tensor,
    grad_i: Tensor,
    step_coef: Tensor,
    rho_term: Tensor,
    step: Tensor,
    denom: Tensor,
    iterations: int,
    lam_theta: float,
    tau: float,
    eps: float = 0.0,
) -> None:
    """`iterations` steps of the scaled TV-L1 iteration in place on w and q (see `_tvl1_inplace`):
    grad_i is (tau/theta) gI, step_coef b and rho_term a; grad_w's last column (x) and last row (y)
    must be 0, step and denom are scratch. `eps` (scaled like |grad w|^2) goes inside the square root;
    the single-scale layer leaves it out, the coarse-to-fine one needs it (see there)."""
    gx, gy = grad_w[0], grad_w[1]
    qx, qy = q[0], q[1]
    for _ in range(iterations):
        torch.addcmul(rho_term, step_coef[0], w[0], out=step)
        step.addcmul_(step_coef[1], w[1]).clamp_(-lam_theta, lam_theta)
        w.addcmul_(grad_i, step)
        # w += div q, backward differences (q's last column / row is always 0).
        w.add_(qx)
        w[..., 1:].sub_(qx[..., :-1])
        w.add_(qy)
        w[..., 1:, :].sub_(qy[..., :-1, :])
        torch.sub(w[..., 1:], w[..., :-1], out=gx[..., :-1])
        torch.sub(w[..., 1:, :], w[..., :-1, :], out=gy[..., :-1, :])
        # 1 + |grad w|; mul + addcmul + sqrt is faster than torch.hypot on CPU.
        torch.mul(gx, gx, out=denom).addcmul_(gy, gy)
        if eps:
            denom.add_(eps)
        denom.sqrt_().add_(1.0)
        q.add_(grad_w, alpha=tau).div_(denom)
