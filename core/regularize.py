"""Regularization the training loop applies: weight decay on weights only, explicit L1 and L2
penalties, the max-norm constraint, and freezing part of a model.

"Weights" are the Linear layers' weight matrices. Biases and normalization parameters (batch
and layer norm's scale and shift) are never decayed, penalized or constrained: shrinking a bias
or a norm's scale toward zero does not make the function any simpler.
"""
from __future__ import annotations

import torch
from torch import nn

from core import models

SPARSE_EPS = 0.01  # a weight with |w| below this counts as (near) zero in the sparsity measure


def weights(model: nn.Module) -> list[torch.Tensor]:
    """The Linear layers' weight matrices, in forward order."""
    return [layer.weight for layer in models.linears(model)]


def param_groups(model: nn.Module, params: list[torch.Tensor], weight_decay: float, *,
                 weights_only: bool, **extra) -> list[dict]:
    """`params` as optimizer groups: with `weights_only`, the weights decayed and the rest
    (biases, normalization parameters) in a group without decay; else one group. `extra`: more
    group options (e.g. lr). Empty groups are left out."""
    if not weights_only:
        return [{"params": params, "weight_decay": weight_decay, **extra}]
    ids = {id(w) for w in weights(model)}
    decayed = [p for p in params if id(p) in ids]
    rest = [p for p in params if id(p) not in ids]
    groups = [{"params": decayed, "weight_decay": weight_decay, **extra}, {"params": rest, "weight_decay": 0.0, **extra}]
    return [g for g in groups if g["params"]]


def penalty(ws: list[torch.Tensor], l1: float, l2: float) -> torch.Tensor | None:
    """l1·Σ|w| + l2·Σw² over the weights (a scalar added to the loss), or None when both are 0."""
    if not (l1 or l2):
        return None
    total = ws[0].new_zeros(())
    for w in ws:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + l2 * w.pow(2).sum()
    return total


@torch.no_grad()
def max_norm_(ws: list[torch.Tensor], limit: float) -> None:
    """Scale every row (one unit's incoming weights) whose L2 norm exceeds `limit` back to it."""
    for w in ws:
        w.copy_(torch.renorm(w, 2, 0, limit))


def frozen(model: nn.Module, prefixes: tuple[str, ...]) -> list[torch.Tensor]:
    """The parameters whose names start with one of `prefixes` (e.g. "blocks.0.")."""
    return [p for name, p in model.named_parameters() if name.startswith(prefixes)]
