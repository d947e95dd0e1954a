"""Initializers: the measured weight spread matches each initializer's formula."""
import math

import pytest
import torch
from torch import nn

from core import init

FAN_IN, FAN_OUT = 400, 1000  # nn.Linear(400, 1000): weight (1000, 400)

FORMULAS = {  # name -> std from the papers / PyTorch's docs, written out independently
    "default": 1 / math.sqrt(3 * FAN_IN),
    "naive": 1.0,
    "small": 0.01,
    "glorot_uniform": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "glorot_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(2 / FAN_IN),
    "he_normal": math.sqrt(2 / FAN_IN),
    "lecun_normal": math.sqrt(1 / FAN_IN),
}


def _layer(name: str, **kw) -> nn.Linear:
    layer = nn.Linear(FAN_IN, FAN_OUT)
    init.apply(name, layer, generator=torch.Generator().manual_seed(0), **kw)
    return layer


@pytest.mark.parametrize("name", init.names())
def test_std_matches_formula(name):
    std = _layer(name, activation="relu").weight.std().item()
    assert std == pytest.approx(FORMULAS[name], rel=0.02)
    assert init.expected_std(name, FAN_IN, FAN_OUT, activation="relu") == pytest.approx(FORMULAS[name])


def test_he_passes_the_leaky_slope_and_fan_out():
    slope = 0.2
    leaky = _layer("he_normal", activation="leaky_relu", slope=slope).weight.std().item()
    assert leaky == pytest.approx(math.sqrt(2 / (1 + slope**2)) / math.sqrt(FAN_IN), rel=0.02)
    fan_out = _layer("he_normal", activation="relu", mode="fan_out").weight.std().item()
    assert fan_out == pytest.approx(math.sqrt(2 / FAN_OUT), rel=0.02)


def test_uniform_bounds_and_zero_bias():
    w = _layer("he_uniform", activation="relu")
    bound = math.sqrt(3) * math.sqrt(2 / FAN_IN)
    assert w.weight.abs().max().item() <= bound
    assert torch.count_nonzero(w.bias) == 0


def test_default_matches_pytorch_reset_parameters_distribution():
    layer = _layer("default")
    bound = 1 / math.sqrt(FAN_IN)
    assert layer.weight.abs().max().item() <= bound and layer.bias.abs().max().item() <= bound


def test_same_seed_same_weights_and_bad_names():
    a, b = _layer("glorot_normal"), _layer("glorot_normal")
    assert torch.equal(a.weight, b.weight)
    with pytest.raises(ValueError, match="valid names"):
        init.get("xavier")
    with pytest.raises(ValueError, match="init mode"):
        _layer("he_normal", mode="fan_avg")
