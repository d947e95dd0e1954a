"""Activation registry: name -> spec that builds an `nn.Module` from its parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from core.registry import Registry


class Swish(nn.Module):
    """x * sigmoid(beta * x); beta = 1 is SiLU."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class ReLUSquared(nn.Module):
    """relu(x)^2, as used in Primer-style transformers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x).square()


@dataclass(frozen=True)
class ActivationSpec:
    label: str  # human name for select boxes and legends
    build: Callable[..., nn.Module]  # build(**params) -> module
    params: dict[str, float] = field(default_factory=dict)  # parameter name -> default value
    bounds: tuple[float, float] | None = None  # output range for bounded activations (saturation)
    init: str = "glorot_normal"  # initializer that keeps the variance of this activation stable
    gain_name: str = "linear"  # torch.nn.init.calculate_gain nonlinearity name


ACTIVATIONS: Registry[ActivationSpec] = Registry("activation")
_add = ACTIVATIONS.add
_add("sigmoid", ActivationSpec("Sigmoid", lambda: nn.Sigmoid(), bounds=(0.0, 1.0), gain_name="sigmoid"))
_add("tanh", ActivationSpec("Tanh", lambda: nn.Tanh(), bounds=(-1.0, 1.0), gain_name="tanh"))
_add("relu", ActivationSpec("ReLU", lambda: nn.ReLU(), init="he_normal", gain_name="relu"))
_add(
    "leaky_relu",
    ActivationSpec(
        "Leaky ReLU", lambda alpha=0.01: nn.LeakyReLU(alpha), {"alpha": 0.01},
        init="he_normal", gain_name="leaky_relu",
    ),
)
_add("elu", ActivationSpec("ELU", lambda alpha=1.0: nn.ELU(alpha), {"alpha": 1.0}, init="he_normal"))
_add("selu", ActivationSpec("SELU", lambda: nn.SELU(), init="lecun_normal", gain_name="selu"))
_add("gelu", ActivationSpec("GELU", lambda: nn.GELU(), init="he_normal"))
_add("swish", ActivationSpec("SiLU / Swish", lambda beta=1.0: Swish(beta), {"beta": 1.0}, init="he_normal"))
_add("mish", ActivationSpec("Mish", lambda: nn.Mish(), init="he_normal"))
_add("softplus", ActivationSpec("Softplus", lambda: nn.Softplus(), init="he_normal"))
_add("relu2", ActivationSpec("ReLU²", lambda: ReLUSquared(), init="he_normal"))
_add("linear", ActivationSpec("Linear (identity)", lambda: nn.Identity(), init="lecun_normal"))


def get(name: str) -> ActivationSpec:
    return ACTIVATIONS.get(name)


def names() -> list[str]:
    return ACTIVATIONS.names()


def make(name: str, **params: float) -> nn.Module:
    """Build activation `name`; unknown parameters raise, missing ones take their defaults."""
    spec = ACTIVATIONS.get(name)
    unknown = set(params) - set(spec.params)
    if unknown:
        raise ValueError(f"activation {name!r} takes {sorted(spec.params) or 'no parameters'}, not {sorted(unknown)}")
    return spec.build(**{**spec.params, **params})


def derivative(name: str, z: torch.Tensor, **params: float) -> tuple[torch.Tensor, torch.Tensor]:
    """f(z) and f'(z) elementwise, the derivative taken by autograd (no hand-written formula)."""
    z = z.detach().clone().requires_grad_(True)
    y = make(name, **params)(z)
    (grad,) = torch.autograd.grad(y.sum(), z)
    return y.detach(), grad
