"""Initializer registry: name -> spec whose `apply` sets a Linear layer's weight and bias in place.

Every initializer draws from an explicit `torch.Generator`, so a run is reproducible even when
several jobs share the process-wide random state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from core.registry import Registry

# apply(layer, activation, slope, mode, generator): activation is a registry name, slope the
# leaky-ReLU negative slope, mode "fan_in" or "fan_out" (He only).
InitFn = Callable[[nn.Linear, str, float, str, torch.Generator], None]


@dataclass(frozen=True)
class InitSpec:
    label: str
    apply: InitFn
    std: Callable[[int, int, str, float, str], float]  # std(fan_in, fan_out, activation, slope, mode)
    bias_std: Callable[[int], float] = lambda fan_in: 0.0  # std of the bias it draws (0: zeros)


def _zero_bias(layer: nn.Linear) -> None:
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _he_gain(activation: str, slope: float) -> tuple[str, float]:
    # He et al. derive the gain for rectifiers; leaky ReLU passes its slope on.
    return ("leaky_relu", slope) if activation == "leaky_relu" else ("relu", 0.0)


def _default(layer: nn.Linear, activation: str, slope: float, mode: str, g: torch.Generator) -> None:
    # Exactly nn.Linear.reset_parameters, but drawing from `g`.
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)
    if layer.bias is not None:
        bound = 1.0 / math.sqrt(layer.in_features)
        nn.init.uniform_(layer.bias, -bound, bound, generator=g)


def _normal(std: float) -> InitFn:
    def apply(layer: nn.Linear, activation: str, slope: float, mode: str, g: torch.Generator) -> None:
        nn.init.normal_(layer.weight, 0.0, std, generator=g)
        _zero_bias(layer)

    return apply


def _glorot(uniform: bool) -> InitFn:
    def apply(layer: nn.Linear, activation: str, slope: float, mode: str, g: torch.Generator) -> None:
        fn = nn.init.xavier_uniform_ if uniform else nn.init.xavier_normal_
        fn(layer.weight, generator=g)
        _zero_bias(layer)

    return apply


def _he(uniform: bool) -> InitFn:
    def apply(layer: nn.Linear, activation: str, slope: float, mode: str, g: torch.Generator) -> None:
        nonlinearity, a = _he_gain(activation, slope)
        fn = nn.init.kaiming_uniform_ if uniform else nn.init.kaiming_normal_
        fn(layer.weight, a=a, mode=mode, nonlinearity=nonlinearity, generator=g)
        _zero_bias(layer)

    return apply


def _lecun(layer: nn.Linear, activation: str, slope: float, mode: str, g: torch.Generator) -> None:
    nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features), generator=g)
    _zero_bias(layer)


def _he_std(fan_in: int, fan_out: int, activation: str, slope: float, mode: str) -> float:
    nonlinearity, a = _he_gain(activation, slope)
    fan = fan_in if mode == "fan_in" else fan_out
    return nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


INITS: Registry[InitSpec] = Registry("initializer")
INITS.add("default", InitSpec("PyTorch default", _default, lambda fi, fo, a, s, m: 1.0 / math.sqrt(3 * fi),
                              bias_std=lambda fi: 1.0 / math.sqrt(3 * fi)))
INITS.add("naive", InitSpec("N(0, 1) (naive)", _normal(1.0), lambda fi, fo, a, s, m: 1.0))
INITS.add("small", InitSpec("N(0, 0.01²) (small)", _normal(0.01), lambda fi, fo, a, s, m: 0.01))
INITS.add(
    "glorot_uniform",
    InitSpec("Glorot uniform", _glorot(True), lambda fi, fo, a, s, m: math.sqrt(2.0 / (fi + fo))),
)
INITS.add(
    "glorot_normal",
    InitSpec("Glorot normal", _glorot(False), lambda fi, fo, a, s, m: math.sqrt(2.0 / (fi + fo))),
)
INITS.add("he_uniform", InitSpec("He uniform", _he(True), _he_std))
INITS.add("he_normal", InitSpec("He normal", _he(False), _he_std))
INITS.add("lecun_normal", InitSpec("LeCun normal", _lecun, lambda fi, fo, a, s, m: 1.0 / math.sqrt(fi)))

MODES = ("fan_in", "fan_out")


def get(name: str) -> InitSpec:
    return INITS.get(name)


def names() -> list[str]:
    return INITS.names()


def apply(
    name: str, layer: nn.Linear, *, activation: str = "relu", slope: float = 0.01,
    mode: str = "fan_in", generator: torch.Generator,
) -> None:
    """Initialize `layer` in place with initializer `name`."""
    if mode not in MODES:
        raise ValueError(f"unknown init mode {mode!r}; valid modes: {', '.join(MODES)}")
    with torch.no_grad():
        INITS.get(name).apply(layer, activation, slope, mode, generator)


def expected_std(name: str, fan_in: int, fan_out: int, *, activation: str = "relu",
                 slope: float = 0.01, mode: str = "fan_in") -> float:
    """The weight standard deviation initializer `name` aims for (the theory the labs draw)."""
    return INITS.get(name).std(fan_in, fan_out, activation, slope, mode)
