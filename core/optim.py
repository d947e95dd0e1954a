"""Optimizer registry: name -> spec building a torch.optim optimizer with its usual settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import torch

from core.registry import Registry


@dataclass(frozen=True)
class OptimizerSpec:
    label: str
    cls: type[torch.optim.Optimizer]
    usual_lr: float  # a learning rate this optimizer is commonly run at
    hyper: dict[str, Any] = field(default_factory=dict)  # fixed settings that define the entry
    fused: bool = False  # torch has a fused kernel for it (fewer, larger kernels per step)


OPTIMIZERS: Registry[OptimizerSpec] = Registry("optimizer")
_add = OPTIMIZERS.add
_add("sgd", OptimizerSpec("SGD", torch.optim.SGD, 0.05, fused=True))
_add("momentum", OptimizerSpec("SGD + momentum", torch.optim.SGD, 0.05, {"momentum": 0.9}, fused=True))
_add("nesterov", OptimizerSpec("Nesterov", torch.optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True}, fused=True))
_add("adagrad", OptimizerSpec("AdaGrad", torch.optim.Adagrad, 0.01, fused=True))
_add("rmsprop", OptimizerSpec("RMSProp", torch.optim.RMSprop, 1e-3, {"alpha": 0.9}))
_add("adam", OptimizerSpec("Adam", torch.optim.Adam, 1e-3, fused=True))
_add("adamax", OptimizerSpec("Adamax", torch.optim.Adamax, 2e-3))
_add("nadam", OptimizerSpec("NAdam", torch.optim.NAdam, 2e-3))
_add("adamw", OptimizerSpec("AdamW", torch.optim.AdamW, 1e-3, fused=True))
_add("radam", OptimizerSpec("RAdam", torch.optim.RAdam, 1e-3))


def get(name: str) -> OptimizerSpec:
    return OPTIMIZERS.get(name)


def names() -> list[str]:
    return OPTIMIZERS.names()


def build(name: str, params: Iterable[torch.Tensor] | Iterable[dict], *, lr: float | None = None,
          weight_decay: float = 0.0, **overrides: Any) -> torch.optim.Optimizer:
    """Build optimizer `name` on `params`; lr defaults to its usual rate.

    Uses torch's fused kernel where one exists for the parameters' device, else foreach.
    """
    spec = OPTIMIZERS.get(name)
    kwargs = {**spec.hyper, **overrides, "lr": spec.usual_lr if lr is None else lr,
              "weight_decay": weight_decay}
    params = list(params)
    if spec.fused:
        try:
            return spec.cls(params, fused=True, **kwargs)
        except (RuntimeError, ValueError):
            pass  # e.g. a device or dtype without the fused kernel
    return spec.cls(params, foreach=True, **kwargs)
