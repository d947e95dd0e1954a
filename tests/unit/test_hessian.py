"""The loss's Hessian: HVPs and the whole Hessian against torch.func.hessian, Lanczos extremes
against the exact spectrum, SLQ's minimum ratio against the exact one, cancelling and counting."""
import copy
import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from core import curvature
from core import hessian as H
from core.data import Data, Split, load
from core.models import MLPSpec, build_mlp
from core.train import evaluate


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Jobs run with one torch thread on a small CPU (core.device.configure_threads); two-thread
    teams on two busy cores make each tiny HVP several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_data(n: int = 60, seed: int = 0) -> Data:
    """Three Gaussian blobs in 2-D, raw points off-centre so that standardization matters."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    x = (centres[y] + 0.8 * torch.randn(n, 2, generator=g)) * 3.0 + 5.0
    mean, std = x.mean(0), x.std(0)
    split = Split(x.float(), y)
    return Data("tiny", split, split, split, 1.0, mean, std, 3, None, ("0", "1", "2"))


def reference(model, data, split):
    """The mean cross-entropy as a function of θ, written independently of core.hessian."""
    m = copy.deepcopy(model).double().eval()
    named = [(n, p.shape) for n, p in m.named_parameters()]
    x, y = data.features(split.x).double(), split.y

    def f(theta):
        params, i = {}, 0
        for name, shape in named:
            params[name] = theta[i:i + shape.numel()].view(shape)
            i += shape.numel()
        return F.cross_entropy(functional_call(m, params, (x,)), y)

    return f


SPECS = [
    MLPSpec(depth=1, width=4, activation="tanh"),
    MLPSpec(depth=2, width=3, activation="relu"),
    MLPSpec(depth=1, width=4, activation="gelu", norm="layernorm"),
    MLPSpec(depth=1, width=4, activation="elu", norm="batchnorm_before", dropout="dropout", dropout_p=0.3),
]


@pytest.fixture(scope="module")
def tiny():
    return tiny_data()


def test_loss_is_the_evaluated_loss_and_theta_round_trips(tiny):
    model = build_mlp(2, 3, SPECS[0], seed=3)
    loss = H.Loss(model, tiny, tiny.train)
    theta = loss.theta0
    assert theta.dtype == torch.float64 and theta.shape == (loss.size,) == (sum(p.numel() for p in model.parameters()),)
    torch.testing.assert_close(theta, H.flat_params(model, torch.float64))
    for (name, p), (name2, view) in zip(model.named_parameters(), loss.unflatten(theta).items()):
        assert name == name2 and view.shape == p.shape
        torch.testing.assert_close(view.float(), p.detach())
    assert float(loss(theta)) == pytest.approx(evaluate(model, tiny, tiny.train)[0], rel=1e-6)
    chunked = H.Loss(model, tiny, tiny.train, chunk=7)
    assert float(chunked(theta)) == pytest.approx(float(loss(theta)), rel=1e-12)
    assert H.Loss(model, tiny, tiny.train, dtype=torch.float32).theta0.dtype == torch.float32
    loss(theta + 1.0)  # a loss at another point leaves the loss's own model as it was
    torch.testing.assert_close(loss.theta0, theta, rtol=0, atol=0)


def torch_hessian_is_right(spec: MLPSpec) -> bool:
    """torch.func.hessian (and jacrev(jacrev)) get the block ∂²L/∂γ∂input of F.layer_norm wrong
    in torch 2.14 (its backward's batching rule, cf. pytorch/functorch#534); grad-based
    compositions and double backward agree with finite differences."""
    return spec.norm != "layernorm"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.activation}-{s.norm}")
def test_hvp_is_the_exact_hessian_times_a_vector(tiny, spec):
    model = build_mlp(2, 3, spec, seed=1)
    loss = H.Loss(model, tiny, tiny.train, chunk=16)  # 4 example chunks
    theta = loss.theta0
    f = reference(model, tiny, tiny.train)
    v = torch.randn(loss.size, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    got = H.hvp(loss, theta, v)
    assert loss.hvps == 1
    eps = 1e-5  # central differences of the gradient: first-order AD only
    fd = (torch.func.grad(f)(theta + eps * v) - torch.func.grad(f)(theta - eps * v)) / (2 * eps)
    torch.testing.assert_close(got, fd, rtol=1e-6, atol=1e-8)
    if torch_hessian_is_right(spec):
        torch.testing.assert_close(got, torch.func.hessian(f)(theta) @ v, rtol=1e-9, atol=1e-12)
    assert H.grad_norm(loss, theta) == pytest.approx(float(torch.func.grad(f)(theta).norm()), rel=1e-10)


@pytest.mark.parametrize("spec", [MLPSpec(depth=2, width=4, activation="tanh"), SPECS[2]],
                         ids=["tanh", "layernorm"])
def test_exact_hessian_is_the_oracles_and_symmetric(tiny, spec):
    model = build_mlp(2, 3, spec, seed=2)
    loss = H.Loss(model, tiny, tiny.train, chunk=16)
    theta = loss.theta0
    seen = []
    h = H.exact_hessian(loss, theta, chunk_size=5, progress=lambda done, total: seen.append((done, total)))
    assert h.dtype == torch.float64 and h.shape == (loss.size, loss.size)
    assert torch.equal(h, h.T)
    assert loss.hvps == loss.size and seen[-1] == (loss.size, loss.size) and len(seen) == -(-loss.size // 5)
    if torch_hessian_is_right(spec):
        exact = torch.func.hessian(reference(model, tiny, tiny.train))(theta)
    else:  # one HVP per column (the HVP is checked against finite differences above)
        exact = torch.stack([H.hvp(loss, theta, e) for e in torch.eye(loss.size, dtype=torch.float64)])
    torch.testing.assert_close(h, exact, rtol=1e-9, atol=1e-12)
    spectrum = H.exact_spectrum(loss, theta, chunk_size=8)
    assert np.all(np.diff(spectrum) >= 0)
    np.testing.assert_allclose(spectrum, torch.linalg.eigvalsh(exact).numpy(), atol=1e-10)


def test_exact_hessian_refuses_big_models(tiny):
    model = build_mlp(2, 3, MLPSpec(depth=2, width=64))  # 4,547 parameters
    loss = H.Loss(model, tiny, tiny.train)
    with pytest.raises(ValueError, match="lanczos"):
        H.exact_hessian(loss, loss.theta0)
    assert loss.hvps == 0


@functools.lru_cache(maxsize=None)
def small(activation: str) -> tuple[H.Loss, np.ndarray]:
    """A 371-parameter net (2 -> 16 -> 16 -> 3) on 180 points, with its exact spectrum."""
    data = load("blobs", size=300, seed=0)
    model = build_mlp(2, 3, MLPSpec(depth=2, width=16, activation=activation), seed=1)
    loss = H.Loss(model, data, data.train)
    return loss, H.exact_spectrum(loss, loss.theta0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_lanczos_extremes_are_the_exact_ends(activation):
    loss, exact = small(activation)
    k = 8
    found = H.lanczos_extremes(loss, loss.theta0, k=k, seed=0)
    assert found.converged and found.message == "" and found.hvps > 0
    scale = np.abs(exact).max()
    np.testing.assert_allclose(found.top, exact[::-1][:k], atol=1e-3 * scale)
    np.testing.assert_allclose(found.bottom, exact[:k], atol=1e-3 * scale)
    assert exact[0] < 0 < exact[-1]  # a saddle-like spectrum, so both ends mean something
    again = H.lanczos_extremes(loss, loss.theta0, k=k, seed=0)
    assert np.array_equal(again.top, found.top) and again.hvps == found.hvps


def test_lanczos_non_convergence_is_reported_not_raised():
    loss, exact = small("tanh")
    found = H.lanczos_extremes(loss, loss.theta0, k=8, maxiter=1, tol=0.0, seed=0)
    assert not found.converged and "converged within 1 restarts" in found.message
    assert found.hvps > 0 and len(found.top) < 8
    scale = np.abs(exact).max()
    for value in np.concatenate([found.top, found.bottom]):  # what did converge is right
        assert np.abs(exact - value).min() <= 1e-3 * scale


def test_slq_estimates_the_minimum_ratio():
    loss, exact = small("tanh")
    reading = curvature.classify(exact)
    q = H.slq(loss, loss.theta0, steps=80, probes=8, seed=0)
    assert q.nodes.shape == q.weights.shape == (8, 80) and list(q.lengths) == [80] * 8 and q.hvps == 640
    np.testing.assert_allclose(q.weights.sum(1), 1.0, atol=1e-12)
    assert abs(H.estimated_min_ratio(q.nodes, q.weights, reading.tolerance) - reading.min_ratio) <= 0.05
    assert exact[0] - 1e-6 <= q.nodes.min() and q.nodes.max() <= exact[-1] + 1e-6  # Ritz values lie inside
    grid = np.linspace(exact[0] - 1, exact[-1] + 1, 2001)
    d = H.density(q.nodes, q.weights, grid, sigma=0.05)
    assert d.shape == grid.shape and d.min() >= 0
    assert np.trapezoid(d, grid) == pytest.approx(1.0, abs=1e-3)


def test_slq_is_reproducible_from_its_seed():
    loss, _ = small("tanh")
    state = torch.random.get_rng_state()
    a = H.slq(loss, loss.theta0, steps=12, probes=2, seed=5)
    b = H.slq(loss, loss.theta0, steps=12, probes=2, seed=5)
    c = H.slq(loss, loss.theta0, steps=12, probes=2, seed=6)
    assert np.array_equal(a.nodes, b.nodes) and np.array_equal(a.weights, b.weights)
    assert not np.array_equal(a.nodes, c.nodes)
    assert torch.equal(state, torch.random.get_rng_state())  # torch's global generator untouched


def test_quadrature_breaks_down_cleanly_on_an_exhausted_krylov_space():
    eig = torch.tensor([-1.0, 2.0, 5.0], dtype=torch.float64).repeat_interleave(torch.tensor([10, 20, 30]))
    v = torch.ones(60, dtype=torch.float64)
    nodes, weights = H.quadrature(lambda q: eig * q, v, steps=20)
    np.testing.assert_allclose(nodes, [-1.0, 2.0, 5.0], atol=1e-10)  # 3 distinct values: 3 steps
    np.testing.assert_allclose(weights, [10 / 60, 20 / 60, 30 / 60], atol=1e-10)
    nodes, weights = H.quadrature(lambda q: torch.zeros_like(q), v, steps=20)  # a zero Hessian
    assert list(nodes) == [0.0] and list(weights) == [1.0]
    assert H.estimated_min_ratio(nodes, weights) == 0.0


def test_stop_cancels_and_the_counter_counts(tiny):
    model = build_mlp(2, 3, SPECS[0])
    loss = H.Loss(model, tiny, tiny.train, stop=lambda: loss.hvps >= 3)
    with pytest.raises(H.Stopped):
        H.slq(loss, loss.theta0, steps=10, probes=1)
    assert loss.hvps == 3
    with pytest.raises(H.Stopped):  # ARPACK does not swallow it
        H.lanczos_extremes(loss, loss.theta0, k=2)
    stop = []
    loss = H.Loss(model, tiny, tiny.train, stop=lambda: bool(stop))
    with pytest.raises(H.Stopped):
        H.exact_hessian(loss, loss.theta0, chunk_size=4, progress=lambda done, total: stop.append(done))
    assert loss.hvps == 4
