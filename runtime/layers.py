"""Shared pieces of every AssembleNet layer: conv+BN(+ReLU) units, TF "same" max-pooling, BN settings.

Layout. Tensors are [B, C, T, H, W] everywhere (channels first, time second). The per-frame
("2D") convolutions and pools are 2D layers applied to the [B*T, C, H, W] view of the clip, a free
view (no copy) when the tensor is stored in ``torch.channels_last_3d`` memory order, which is what
the layers here produce (conv weights are kept channels-last, so oneDNN returns channels-last
outputs). The temporal convolutions are ``nn.Conv2d`` with a (k, 1) kernel on the [B, C, T, H*W]
view, free as well. ``benchmarks/runtime_conv_layout.py`` measured this against ``nn.Conv3d`` with
(1, k, k) kernels and against Conv2d with permute copies, on 2 CPU threads: PyTorch runs a
small-batch Conv3d through slow im2col paths (which also drop the channels-last order), its oneDNN
3D kernels are slower than the 2D ones for 3x3 and strided convs, and channels-first max-pooling is
many times slower; the channels-last Conv2d views were the fastest and copy nothing. (A (k, 1, 1)
Conv3d for the temporal conv was no faster over a whole AssembleNet-50 and falls back to the slow
dilated path for small single clips.) Parameter counts are the same either way (a (1, k, k) Conv3d
and a k x k Conv2d hold the same weights). Callers may pass ordinary contiguous tensors: the views
then copy once and everything stays correct.

Padding follows the authors' TF code: stride-1 convs pad "same" (k // 2 for the odd kernels used
here), strided convs pad like TF's "fixed padding" (pad_total = k - 1, pad_beg = pad_total // 2),
which for odd k is the same symmetric k // 2, so a 7x7 map becomes 4x4 at stride 2. Max-pooling
uses TF's asymmetric "same" padding (extra padding at the end), see :func:`tf_same_padding`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BN_EPS",
    "BN_MOMENTUM",
    "FOLD_MIN_ELEMENTS",
    "ConvBN",
    "FrameConvBN",
    "SameMaxPool",
    "TemporalConvBN",
    "batch_norm",
    "capturing_graph",
    "channels_last",
    "foldable",
    "folded_weights",
    "frame_conv",
    "frame_size",
    "over_time",
    "per_frame",
    "same_max_pool",
    "scale_channels",
    "tf_same_padding",
]

BN_MOMENTUM = 0.01
"""PyTorch's momentum for TF's BN decay of 0.99 (PyTorch weighs the *new* batch statistic)."""
BN_EPS = 1e-5
FOLD_MIN_ELEMENTS = 2**20
"""Output elements (batch x channels x frames x height x width) from which inference folds BN into the conv."""

# torch.compiler.is_compiling appeared in torch 2.3; before that dynamo traces the eager paths (it can).
_is_compiling: Callable[[], bool] = getattr(torch.compiler, "is_compiling", lambda: False)


def capturing_graph() -> bool:
    """Whether the forward is being recorded as a graph (jit.trace, ONNX export, torch.compile).

    Layers with a faster eager path for inference (the flow layers' in-place loops, BN folded into
    the conv) take their plain path then, so that a recorded graph holds the model's own operators
    and parameters rather than values computed from them once.
    """
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export() or _is_compiling()


def scale_channels(c: int, width: float) -> int:
    """Channel count ``c`` scaled by the width multiplier: ``round(c * width)``, at least 1.

    Stems and blocks apply it to the counts they are given, so that every layer of a model shrinks
    by the same rule (Python's ``round``, so exact halves go to the even neighbour).
    """
    if c < 1:
        raise ValueError(f"channel count must be at least 1, got {c}")
    if not width > 0:
        raise ValueError(f"width multiplier must be positive, got {width}")
    return max(1, round(c * width))


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF "same" padding of one axis as (begin, end): the output has ceil(size / stride) entries.

    TF puts the odd pixel of an odd total padding at the end, not at the beginning as a symmetric
    PyTorch padding would, so a stride-2 3x3 pool of an even map sees different pixels otherwise.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def batch_norm(channels: int, *, zero_gamma: bool = False) -> nn.BatchNorm3d:
    """BN with the TF implementation's settings; ``zero_gamma`` starts the scale at zero.

    The last BN of each residual module starts at zero so that every module begins as the
    identity (its shortcut), as in the TF code (``init_zero``).
    """
    bn = nn.BatchNorm3d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
    if zero_gamma:
        nn.init.zeros_(bn.weight)
    return bn


def frame_conv(
    *,
    in_channels: int,
    out_channels: int,
    kernel: tuple[int, int],
    stride: int = 1,
    padding: tuple[int, int] = (0, 0),
    dilation: tuple[int, int] = (1, 1),
) -> nn.Conv2d:
    """A bias-free Conv2d with torchvision's ResNet init (kaiming normal, fan_out), stored channels-last.

    Channels-last weights make oneDNN return channels-last outputs even for ambiguous strides
    (a single clip, or a view holding a single frame), which keeps the views in :func:`per_frame`
    and :func:`over_time` free.
    """
    conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding, dilation=dilation, bias=False)
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    return conv.to(memory_format=torch.channels_last)


def frame_size(x: Tensor) -> tuple[int, int]:
    """(H, W) of a clip as Python ints, so that compiled and traced graphs fix the frame size.

    ``operator.index`` makes torch.compile specialise on H and W (recompiling for a new frame
    size) while batch and time stay dynamic, and makes a trace record them as constants (ONNX
    MaxPool pads are static attributes, and TF "same" pooling pads by the size's parity). It also
    keeps inductor clear of a bug with symbolic frame sizes in the reshape-conv-reshape pattern
    (pytorch/pytorch#185510, "cannot determine truth value of Relational" when the backward is
    compiled after a frame-size change).
    """
    return operator.index(x.shape[-2]), operator.index(x.shape[-1])


def channels_last(x: Tensor) -> Tensor:
    """``x`` in channels-last-3d memory order (a no-op when it already is; skipped in ONNX export).

    For a network's inputs, which loaders deliver channels-first: converting once up front is
    cheap and saves the first conv a conversion in its forward and again in its backward.
    """
    if torch.onnx.is_in_onnx_export():  # ONNX has no memory formats (and the exporter rejects them)
        return x
    return x.contiguous(memory_format=torch.channels_last_3d)


def per_frame(layer: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Apply a 4D (image) layer to every frame of a [B, C, T, H, W] clip."""
    b, c, t = x.shape[:3]
    h, w = frame_size(x)
    y = layer(x.transpose(1, 2).reshape(b * t, c, h, w))
    return y.view(b, t, y.shape[1], y.shape[2], y.shape[3]).transpose(1, 2)


def over_time(conv: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Apply a (k, 1)-kernel Conv2d along time to a [B, C, T, H, W] clip (the pixels become its width)."""
    b, c, t = x.shape[:3]
    h, w = frame_size(x)
    y = conv(x.reshape(b, c, t, h * w))
    return y.view(b, y.shape[1], t, h, w)


class ConvBN(nn.Module):
    """A bias-free conv followed by BN; in inference the BN is folded into the conv.

    In eval mode BN is a fixed per-channel affine map, so conv + BN equals one conv with weights
    scaled by gamma / sqrt(var + eps) and a bias beta - mean * gamma / sqrt(var + eps)
    (:func:`folded_weights`). There are two ways to use that:

    * anet's commands run inference on a copy whose BN is folded for good, once
      (:meth:`fold_bn_`, called by ``anet.runtime.inference_copy``): ``bn`` is then None and the
      conv has a bias;
    * a model used directly in eval mode folds at every call, from the current parameters and
      statistics (tens of milliseconds for all of AssembleNet-50's weights with their autocast
      casts, against a BN pass over every activation: the bf16 forward at 32 x 224 x 224 became
      1.07-1.12x as fast, benchmarks/inference_options.py), so it can never go stale (a cache keyed
      on version counters would miss writes through ``.data``). It is used only where it cannot
      change what autograd or a recorded graph sees: eval mode, no gradient, no graph capture
      (:func:`capturing_graph`). The fold is half a dozen small operations per conv, which cost more
      than the BN pass they save when the activation is small: folding at every size made the
      search's proxy model (width 1/8, 8 x 8 x 48 x 48, bf16) 0.83-0.89x as fast. So it is used from
      ``FOLD_MIN_ELEMENTS`` output elements on, which keeps the gain at full size and leaves the
      proxy model as fast as unfolded (benchmarks/inference_options.py measures both, and
      1 x 8 x 112 x 112 between them).

    Results equal conv + BN to float rounding either way.
    """

    conv: nn.Conv2d
    bn: nn.BatchNorm3d | None

    def conv_bn(self, apply: Callable[[Callable[[Tensor], Tensor], Tensor], Tensor], x: Tensor) -> Tensor:
        """``bn(apply(conv, x))``, where ``apply`` maps the 2D conv over the clip's frames or time."""
        bn, conv = self.bn, self.conv
        if bn is None:  # folded for good (fold_bn_)
            return apply(conv, x)
        elements = x.numel() // max(1, x.shape[1]) // (conv.stride[0] * conv.stride[1]) * conv.out_channels
        if elements < FOLD_MIN_ELEMENTS or torch.is_grad_enabled() or not foldable(bn) or capturing_graph():
            return bn(apply(conv, x))
        weight, bias = folded_weights(conv, bn)
        return apply(lambda v: F.conv2d(v, weight, bias, conv.stride, conv.padding, conv.dilation), x)

    @torch.no_grad()
    def fold_bn_(self, dtype: torch.dtype | None = None) -> None:
        """Fold the eval-mode BN into the conv for good, with the weights in ``dtype`` (the autocast
        dtype the module will run under, so that autocast does not cast them at every call). Only
        for a module that is not trained any more: ``anet.runtime.inference_copy`` calls it on a copy."""
        if self.bn is None or not foldable(self.bn):
            return
        weight, bias = folded_weights(self.conv, self.bn)
        dtype = dtype or weight.dtype
        # The conv keeps its geometry; its weight becomes the folded one (channels-last, as folded)
        # and it gains the bias.
        self.conv.weight = nn.Parameter(weight.to(dtype), requires_grad=False)
        self.conv.bias = nn.Parameter(bias.to(dtype), requires_grad=False)
        self.bn = None


def foldable(bn: nn.BatchNorm3d) -> bool:
    """Whether ``bn`` is a fixed affine map that a conv can absorb: eval mode, running statistics
    and a scale and shift."""
    return not bn.training and bn.running_var is not None and bn.running_mean is not None and bn.weight is not None


def folded_weights(conv: nn.Conv2d, bn: nn.BatchNorm3d) -> tuple[Tensor, Tensor]:
    """The weight and bias of the one conv that equals ``conv`` followed by eval-mode ``bn``."""
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale.view(-1, 1, 1, 1)  # keeps the weight's channels-last order
    return weight, bn.bias - bn.running_mean * scale


class FrameConvBN(ConvBN):
    """Per-frame k x k conv (bias-free), BN, optional ReLU: the TF code's conv + batch_norm_relu.

    A strided 1x1 conv (the projection shortcut) runs as a subsampling followed by a stride-1 conv:
    the same pixels and weights, less work, and it avoids a heap corruption in PyTorch 2.13's CPU
    backward of channels-last strided 1x1 convs with at most 4 input channels on one thread (which
    narrow proxy models hit).
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        relu: bool = True,
        zero_gamma: bool = False,
    ) -> None:
        super().__init__()
        if kernel % 2 != 1:
            raise ValueError(f"only odd kernels pad like TF here, got {kernel}")
        self.subsample = stride if kernel == 1 else 1
        self.conv = frame_conv(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel=(kernel, kernel),
            stride=stride // self.subsample,
            padding=(kernel // 2, kernel // 2),
        )
        self.bn = batch_norm(out_channels, zero_gamma=zero_gamma)
        self.relu = relu

    def forward(self, x: Tensor) -> Tensor:
        if self.subsample > 1:
            x = x[..., :: self.subsample, :: self.subsample]
        y = self.conv_bn(per_frame, x)
        return y.relu_() if self.relu else y


class TemporalConvBN(ConvBN):
    """Conv along time only (kernel k, dilation r, zero "same" padding so T is kept), BN, ReLU.

    The dilation is the paper's temporal resolution r: the kernel taps frames t - r, t, t + r
    (for k = 3), so blocks look at different time scales without ever downsampling time.
    """

    def __init__(self, *, in_channels: int, out_channels: int, kernel: int, dilation: int = 1) -> None:
        super().__init__()
        if kernel % 2 != 1 or dilation < 1:
            raise ValueError(f"need an odd kernel and dilation >= 1, got {kernel} and {dilation}")
        self.conv = frame_conv(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel=(kernel, 1),
            padding=(dilation * (kernel // 2), 0),
            dilation=(dilation, 1),
        )
        self.bn = batch_norm(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv_bn(over_time, x).relu_()


def same_max_pool(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int]) -> Tensor:
    """Per-frame max-pool of a [B, C, T, H, W] clip with TF "same" padding (by -inf).

    The asymmetric padding is obtained without a padded copy: PyTorch pads ``begin`` on both sides
    and ``ceil_mode`` lets the last window hang over the end, which is where TF puts the extra
    pixel. That matches exactly unless the stride is 1 and the padding is odd, which only an even
    kernel can cause; then an explicit -inf pad is used. The padding is computed from the runtime
    shape, so any input size works; compiled, traced and exported graphs fix the frame size
    (see :func:`frame_size`). The pool runs as a 2D pool on the per-frame view: same result as a
    (1, k, k) 3D pool, but its backward is about 1.7x faster on channels-last clips.
    """
    # Python ints: a trace must record the padding as constants (ONNX MaxPool pads are attributes).
    (h, w), (kh, kw), (sh, sw) = frame_size(x), kernel, stride
    ph, pw = tf_same_padding(h, kh, sh), tf_same_padding(w, kw, sw)
    if (ph[0] != ph[1] and sh == 1) or (pw[0] != pw[1] and sw == 1):
        x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=float("-inf"))
        ph, pw = (0, 0), (0, 0)
    return per_frame(lambda f: F.max_pool2d(f, (kh, kw), (sh, sw), (ph[0], pw[0]), ceil_mode=True), x)


class SameMaxPool(nn.Module):
    """Module form of :func:`same_max_pool` with a fixed square kernel and stride."""

    def __init__(self, *, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: Tensor) -> Tensor:
        return same_max_pool(x, (self.kernel, self.kernel), (self.stride, self.stride))

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}, stride={self.stride}, padding=tf_same"
