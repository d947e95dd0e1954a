"""Activation registry: derivatives against closed forms and finite differences."""
import math

import pytest
import torch

from core import activations

Z = torch.linspace(-6, 6, 241, dtype=torch.float64)


def _closed_form(name: str, z: torch.Tensor, p: dict) -> torch.Tensor:
    s = torch.sigmoid
    if name == "sigmoid":
        return s(z) * (1 - s(z))
    if name == "tanh":
        return 1 - torch.tanh(z) ** 2
    if name == "relu":
        return (z > 0).double()
    if name == "leaky_relu":
        return torch.where(z > 0, 1.0, p.get("alpha", 0.01)).double()
    if name == "elu":
        a = p.get("alpha", 1.0)
        return torch.where(z > 0, 1.0, a * torch.exp(z))
    if name == "selu":
        lam, a = 1.0507009873554805, 1.6732632423543772
        return torch.where(z > 0, lam, lam * a * torch.exp(z))
    if name == "gelu":
        phi = torch.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        return 0.5 * (1 + torch.erf(z / math.sqrt(2))) + z * phi
    if name == "swish":
        b = p.get("beta", 1.0)
        return s(b * z) + b * z * s(b * z) * (1 - s(b * z))
    if name == "mish":
        sp = torch.nn.functional.softplus(z)
        return torch.tanh(sp) + z * (1 - torch.tanh(sp) ** 2) * s(z)
    if name == "softplus":
        return s(z)
    if name == "relu2":
        return 2 * torch.relu(z)
    if name == "linear":
        return torch.ones_like(z)
    raise AssertionError(f"no closed form for {name}")


CASES = [(n, {}) for n in activations.names()] + [
    ("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 0.5}), ("swish", {"beta": 2.0})]


@pytest.mark.parametrize("name,params", CASES)
def test_derivative_matches_closed_form(name, params):
    _, grad = activations.derivative(name, Z, **params)
    mask = Z.abs() > 1e-9  # the kink at 0 has no single derivative
    torch.testing.assert_close(grad[mask], _closed_form(name, Z, params)[mask], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,params", CASES)
def test_derivative_matches_finite_differences(name, params):
    z = Z[Z.abs() > 0.01]
    h = 1e-6
    f = lambda t: activations.derivative(name, t, **params)[0]  # noqa: E731
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    torch.testing.assert_close(activations.derivative(name, z, **params)[1], numeric, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", [n for n, s in activations.ACTIVATIONS.items() if s.bounds])
def test_bounds_hold(name):
    lo, hi = activations.get(name).bounds
    y, _ = activations.derivative(name, torch.linspace(-50, 50, 1001))
    assert y.min() >= lo and y.max() <= hi


def test_unknown_names_and_parameters_raise():
    with pytest.raises(ValueError, match="valid names: sigmoid"):
        activations.get("sigmoidd")
    with pytest.raises(ValueError, match="takes"):
        activations.make("relu", alpha=0.1)


def test_registry_has_the_required_entries():
    required = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish",
                "softplus", "relu2", "linear"}
    assert required <= set(activations.names())
