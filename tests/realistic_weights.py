"""Moving a freshly built model away from its initialisation, for tests that compare two ways of
running it (tracing, export, compiling): shared by the compiler's and the export's tests."""

from __future__ import annotations

import torch
from torch import nn


def realistic_eval(model: nn.Module, *inputs: torch.Tensor) -> nn.Module:
    """Move a fresh model away from its initialisation so that every path changes the output, then eval.

    A fresh model starts with zero BN scales at the end of every residual branch (each module is
    its shortcut) and a head with weights of std 0.01, so export or compile bugs in the branches
    could hide under the tolerance. One training-mode forward sets BN running statistics; then BN
    scales become random in [0.5, 1] and the head's weights standard normal. AssembleNet++'s
    attention layers start near zero too (every gate about 1/2, every peer mixture about uniform):
    their other dense layers get weights of std 1/sqrt(fan-in) and logits standard normal.
    """
    torch.manual_seed(1)
    with torch.no_grad():
        model.train()(*inputs)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.0)
                m.bias.uniform_(-0.1, 0.1)
        model.head.fc.weight.normal_()
        for name, p in model.named_parameters():
            if ".gates." in name or ".projections." in name:
                p.normal_(std=p.shape[-1] ** -0.5 if p.ndim == 2 else 1.0)
    return model.eval()
