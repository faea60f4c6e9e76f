"""A model's inference copy: BN folded into the convs once, the conv weights in the autocast dtype.

A model in eval mode already folds each large conv's BN at every call (``ConvBN``), recomputing
the folded weights and their autocast casts each time, because its parameters may still change.
Evaluation, prediction and the search's fitness run many forwards of weights that do not change,
so anet's commands take a copy instead and fold it once: no BN left at any size, no per-call fold,
no per-call weight casts. ``benchmarks/inference_options.py`` measures it against the per-call fold
at full size, at 1 x 8 x 112 x 112 and at the search's proxy size.

The copy is a snapshot: later changes to the model (training on, loading another checkpoint) do not
reach it, and it is not for training (its parameters do not require gradients, and its BN is gone).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .layers import ConvBN

__all__ = ["inference_copy"]


def inference_copy(model: nn.Module, dtype: torch.dtype | None = None) -> nn.Module:
    """A copy of ``model`` in eval mode without gradients, every conv + BN folded into one conv.

    ``dtype`` is the autocast dtype the copy will run under (bf16, fp16), or None for none: the
    folded conv weights are stored in it. Run the copy under that autocast only. ``model`` itself
    is not changed."""
    frozen = copy.deepcopy(model).eval().requires_grad_(False)
    for module in frozen.modules():
        if isinstance(module, ConvBN):
            module.fold_bn_(dtype)
    return frozen
