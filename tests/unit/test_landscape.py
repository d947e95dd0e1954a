"""Loss-landscape views: filter-normalized directions, the batched grid against the point-by-point
reference, the path's ends and the slice's centre against `evaluate`, and the trajectory's PCA."""
import math

import pytest
import torch

from core import data
from core import landscape as L
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, evaluate, train

SPEC = MLPSpec(depth=2, width=32, activation="relu", init="he_normal")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def trained(digits):
    """A small digits MLP after one epoch of SGD, with its initial and trained flat weights."""
    model = build_mlp(digits.input_dim, digits.n_classes, SPEC, seed=0)
    theta0 = L.flatten(model)
    for _ in train(model, digits, TrainSpec(epochs=1, layer_stats=False, report_seconds=0)):
        pass
    return model, theta0, L.flatten(model)


def _close(a: float, b: float, rel: float = 1e-5) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-7)


def test_flat_weights_round_trip(digits):
    model = build_mlp(digits.input_dim, digits.n_classes, SPEC, seed=0)
    lay = L.layout(model)
    assert lay.names == tuple(n for n, _ in model.named_parameters())
    assert lay.size == sum(p.numel() for p in model.parameters())
    flat = L.flatten(model)
    parts = L.unflatten(flat, lay)
    assert all(torch.equal(parts[n], p) for n, p in model.named_parameters())
    L.load_flat(model, flat * 2)
    assert torch.equal(L.flatten(model), flat * 2)


@pytest.mark.parametrize("norm", ["none", "layernorm"])
def test_directions_are_filter_normalized_with_zero_bias_directions(digits, norm):
    model = build_mlp(digits.input_dim, digits.n_classes, MLPSpec(depth=2, width=16, norm=norm), seed=1)
    lay = L.layout(model)
    global_state = torch.get_rng_state()
    directions = L.random_directions(model, seed=3, count=2)
    assert torch.equal(torch.get_rng_state(), global_state)  # drew nothing from the global generator
    assert len(directions) == 2 and not torch.equal(directions[0], directions[1])
    for direction in directions:
        assert direction.shape == (lay.size,)
        parts = L.unflatten(direction, lay)
        for name, w in model.named_parameters():
            d = parts[name]
            if w.dim() == 1:  # biases and LayerNorm's weight and bias
                assert torch.equal(d, torch.zeros_like(d)), name
            else:  # every output row (filter) has the norm of the weights' row
                torch.testing.assert_close(d.norm(dim=1), w.detach().norm(dim=1), rtol=1e-5, atol=1e-7)
    again = L.random_directions(model, seed=3, count=2)
    assert all(torch.equal(a, b) for a, b in zip(directions, again))
    assert not torch.equal(L.random_directions(model, seed=4, count=1)[0], directions[0])


def test_axis_and_path_alphas_hit_the_centre_and_the_ends_exactly():
    assert L.axis(5, 2.0).tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    values = L.axis(41, 0.7)
    assert values[20].item() == 0.0 and values[0].item() == -0.7 and values[-1].item() == 0.7
    assert L.axis(1, 3.0).tolist() == [0.0]
    alphas = L.path_alphas()
    assert len(alphas) == 41 and alphas[0] == -0.5 and alphas[-1] == 1.5
    assert alphas[10].item() == 0.0 and alphas[30].item() == 1.0
    with pytest.raises(ValueError):
        L.axis(0, 1.0)


def test_slice_centre_is_the_trained_loss(digits, trained):
    model, _, theta1 = trained
    d1, d2 = L.random_directions(model, seed=0)
    surface = L.grid_losses(model, theta1, d1, d2, L.axis(3, 0.5), L.axis(3, 0.5), digits, digits.train)
    loss, acc = evaluate(model, digits, digits.train)
    assert surface.loss.shape == (3, 3)
    assert _close(surface.loss[1, 1].item(), loss) and _close(surface.acc[1, 1].item(), acc)
    assert surface.loss[1, 1] < surface.loss[0, 0]  # one epoch in, the trained point is lower than a step away


def test_path_ends_are_the_initial_and_trained_losses(digits, trained):
    model, theta0, theta1 = trained
    path = L.linear_path(model, theta0, theta1, digits, digits.train)
    assert path.loss.shape == (41,)
    start = build_mlp(digits.input_dim, digits.n_classes, SPEC, seed=0)
    initial, trained_loss = evaluate(start, digits, digits.train)[0], evaluate(model, digits, digits.train)[0]
    assert _close(path.loss[10].item(), initial) and _close(path.loss[30].item(), trained_loss)
    assert torch.equal(L.flatten(model), theta1)


@pytest.mark.parametrize("norm", ["none", "batchnorm_before", "layernorm"])
def test_batched_grid_equals_the_point_by_point_grid(digits, norm):
    model = build_mlp(digits.input_dim, digits.n_classes, MLPSpec(depth=2, width=24, norm=norm), seed=2)
    center = L.flatten(model)
    d1, d2 = L.random_directions(model, seed=5)
    a_values, b_values = L.axis(5, 1.0), L.axis(4, 0.6)  # not square: a swapped axis would show
    params = [p for p in model.parameters()]
    # chunks of 3 points and 100 examples: uneven edges on both
    batched = L.grid_losses(model, center, d1, d2, a_values, b_values, digits, digits.valid, batch=3, examples=100)
    pointwise = L.grid_losses_pointwise(model, center, d1, d2, a_values, b_values, digits, digits.valid)
    torch.testing.assert_close(batched.loss, pointwise.loss, rtol=1e-5, atol=1e-6)
    assert (batched.acc - pointwise.acc).abs().max() <= 1 / len(digits.valid)  # an argmax tie at most
    # the model is left as it was: same Parameter objects, same values, train mode
    assert all(a is b for a, b in zip(params, model.parameters())) and model.training
    assert torch.equal(L.flatten(model), center)


def test_progress_is_reported_and_stop_raises(digits, trained):
    model, _, theta1 = trained
    d1, d2 = L.random_directions(model, seed=0)
    seen: list[tuple[int, int]] = []
    L.grid_losses(model, theta1, d1, d2, L.axis(3, 1.0), L.axis(3, 1.0), digits, digits.valid,
                  batch=4, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 9), (8, 9), (9, 9)]
    with pytest.raises(L.Stopped):
        L.grid_losses(model, theta1, d1, d2, L.axis(3, 1.0), L.axis(3, 1.0), digits, digits.valid,
                      batch=4, stop=lambda: len(seen) > 3, progress=lambda d, t: seen.append((d, t)))
    assert len(seen) == 4 and model.training  # stopped after one chunk, the mode restored


def test_pca_puts_the_final_checkpoint_at_the_origin():
    g = torch.Generator().manual_seed(0)
    steps = torch.randn(12, 300, generator=g) * torch.linspace(1, 0.1, 12)[:, None]  # (K, P) a shrinking walk
    checkpoints = steps.cumsum(0)
    plane = L.trajectory_plane(list(checkpoints))
    assert plane.coords.shape == (12, 2) and plane.coords[-1].tolist() == [0.0, 0.0]
    assert torch.equal(plane.center, checkpoints[-1])
    gram = torch.stack([plane.d1, plane.d2]).double() @ torch.stack([plane.d1, plane.d2]).double().T
    torch.testing.assert_close(gram, torch.eye(2, dtype=torch.float64), atol=1e-6, rtol=0)
    assert 1 >= plane.explained[0] >= plane.explained[1] >= 0 and plane.explained.sum() <= 1 + 1e-12
    again = L.trajectory_plane(checkpoints)
    assert torch.equal(again.d1, plane.d1) and torch.equal(again.coords, plane.coords)
    # the box covers the path
    a_values, b_values = L.plane_axes(plane, points=11, margin=0.2)
    assert a_values[-1] >= plane.coords[:, 0].abs().max() and b_values[-1] >= plane.coords[:, 1].abs().max()


def test_pca_of_a_straight_path_explains_everything_with_one_direction():
    g = torch.Generator().manual_seed(1)
    final, v = torch.randn(500, generator=g), torch.randn(500, generator=g)
    ts = torch.tensor([3.0, 2.0, 1.5, 1.0, 0.5, 0.2, 0.0])
    plane = L.trajectory_plane(final + ts[:, None] * v)
    assert plane.explained[0] > 1 - 1e-6
    assert abs(torch.dot(plane.d1, v / v.norm()).item()) > 1 - 1e-5
    torch.testing.assert_close(plane.coords[:, 0], -ts.double() * v.norm().double(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        L.trajectory_plane([final])


def test_trajectory_surface_is_centred_on_the_final_weights(digits, trained):
    model, theta0, theta1 = trained
    middle = torch.lerp(theta0, theta1, 0.5) + 0.01 * L.random_directions(model, seed=1, count=1)[0]
    plane = L.trajectory_plane([theta0, middle, theta1])
    surface = L.trajectory_surface(model, plane, digits, digits.valid, points=5)
    assert surface.loss.shape == (5, 5)
    assert _close(surface.loss[2, 2].item(), evaluate(model, digits, digits.valid)[0])


@pytest.mark.parametrize("spec", [MLPSpec(depth=1, width=12, activation="tanh"),
                                  MLPSpec(depth=3, width=10, activation="selu", dropout="alpha_dropout", dropout_p=0.2)])
def test_the_stacked_plane_path_equals_the_point_by_point_grid(digits, spec):
    """Plain MLPs (any activation; dropout, off in eval mode) take `plane_losses`."""
    model = build_mlp(digits.input_dim, digits.n_classes, spec, seed=3)
    assert L._plain_mlp(model)
    center = L.flatten(model)
    d1, d2 = L.random_directions(model, seed=1)
    a_values, b_values = L.axis(3, 0.5), L.axis(5, 1.0)
    batched = L.grid_losses(model, center, d1, d2, a_values, b_values, digits, digits.train, batch=4, examples=300)
    pointwise = L.grid_losses_pointwise(model, center, d1, d2, a_values, b_values, digits, digits.train)
    torch.testing.assert_close(batched.loss, pointwise.loss, rtol=1e-5, atol=1e-6)
