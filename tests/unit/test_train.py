"""The training loop: learns, reports, diverges without raising, reproducible, clips, stops."""
import math

import pytest
import torch

from core import data, optim, schedules
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, train


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def _run(digits, spec=MLPSpec(depth=2, width=64), **kw):
    model = build_mlp(digits.input_dim, digits.n_classes, spec, seed=0)
    return model, list(train(model, digits, TrainSpec(**{"report_seconds": 0, **kw})))


def test_a_seeded_run_on_digits_learns(digits):
    _, recs = _run(digits, epochs=5, lr=0.05)
    assert recs[-1]["status"] == "done"
    assert recs[-1]["val_acc"] > 0.9 and recs[-1]["val_loss"] < recs[0]["val_loss"] / 3


@pytest.mark.parametrize("name", optim.names())
def test_every_optimizer_lowers_the_loss_at_its_usual_rate(digits, name):
    _, recs = _run(digits, epochs=2, optimizer=name, lr=optim.get(name).usual_lr)
    assert recs[-1]["val_loss"] < recs[0]["val_loss"]


def test_sophia_gets_its_hessian_reproducibly_and_no_graph_is_left_behind(digits):
    # batch 98: 11 steps an epoch, so the Hessian steps (1st, 11th) include the reporting one
    kw = dict(epochs=2, batch_size=98, optimizer="sophia", lr=optim.get("sophia").usual_lr, clip_norm=1.0)
    model, a = _run(digits, **kw)
    _, b = _run(digits, **kw)
    strip = lambda recs: [{k: v for k, v in r.items() if k != "time"} for r in recs]  # noqa: E731
    assert a[-1]["status"] == "done" and a[-1]["val_loss"] < a[0]["val_loss"] and strip(a) == strip(b)
    assert all(p.grad is None or p.grad.grad_fn is None for p in model.parameters())


@pytest.mark.parametrize("name", schedules.names())
def test_every_schedule_trains_and_reports_its_lr(digits, name):
    _, recs = _run(digits, epochs=3, schedule=name, lr=0.05)
    assert recs[-1]["status"] == "done" and all(r["lr"] >= 0 for r in recs) and recs[0]["lr"] > 0
    if name in ("cosine", "warmup_cosine"):
        assert recs[-1]["lr"] == pytest.approx(0.0, abs=1e-9)  # annealed to zero at the last step
    if name == "exponential":
        assert recs[2]["lr"] == pytest.approx(0.05 * 0.9)


def test_record_fields(digits):
    _, recs = _run(digits, spec=MLPSpec(depth=3, width=32, activation="tanh"), epochs=2, track_activations=True)
    assert [r["epoch"] for r in recs] == [0, 1, 2] and recs[0]["step"] == 0
    for key in ["epoch", "step", "samples", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "time",
                "grad_norm", "layers", "progress", "status"]:
        assert key in recs[-1]
    assert recs[-1]["samples"] == 2 * len(digits.train) and recs[-1]["progress"] == 1.0
    layers = recs[-1]["layers"]
    assert [row["layer"] for row in layers] == [1, 2, 3, 4]
    for key in ["grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead", "saturated"]:
        assert key in layers[0]
    assert all(0 < row["update_ratio"] < 1 for row in layers)


def test_layer_gradient_norms_match_autograd_on_the_first_batch(digits):
    spec = MLPSpec(depth=3, width=16)
    model, recs = _run(digits, spec=spec, epochs=1)
    fresh = build_mlp(digits.input_dim, digits.n_classes, spec, seed=0)
    x, y = digits.features(digits.train.x[:32]), digits.train.y[:32]
    torch.nn.functional.cross_entropy(fresh(x), y).backward()
    expected = [layer.weight.grad.norm().item() for layer in fresh.linears]
    assert [row["grad_norm"] for row in recs[0]["layers"]] == pytest.approx(expected, rel=1e-5)


def test_learning_rate_10_ends_as_diverged_not_an_exception(digits):
    _, recs = _run(digits, epochs=3, lr=10.0)
    assert recs[-1]["status"] == "diverged"
    assert recs[-1]["message"].startswith("diverged at epoch ")
    assert recs[-1]["diverged_epoch"] >= 1


def test_same_seed_same_numbers(digits):
    spec = MLPSpec(depth=2, width=32, dropout="dropout", dropout_p=0.3)
    _, a = _run(digits, spec=spec, epochs=2)
    _, b = _run(digits, spec=spec, epochs=2)
    strip = lambda recs: [{k: v for k, v in r.items() if k != "time"} for r in recs]  # noqa: E731
    assert strip(a) == strip(b)


def test_clipping_records_the_norm_before_clipping(digits):
    _, recs = _run(digits, spec=MLPSpec(depth=3, width=32, init="naive"), epochs=1, clip_norm=0.1)
    assert recs[-1]["grad_norm"] > 0.1


def test_clipping_keeps_every_update_small(digits):
    spec = MLPSpec(depth=2, width=32, init="naive")
    model, _ = _run(digits, spec=spec, epochs=1, clip_norm=1e-3, lr=1.0, optimizer="sgd")
    fresh = build_mlp(digits.input_dim, digits.n_classes, spec, seed=0)
    moved = math.sqrt(sum((a - b).pow(2).sum().item() for a, b in zip(model.parameters(), fresh.parameters())))
    steps = math.ceil(len(digits.train) / 32)
    assert moved <= steps * 1e-3 * 1.0001  # every step moves at most lr * clip


def test_early_stopping_restores_the_best_weights(digits):
    spec = MLPSpec(depth=2, width=128)
    model, recs = _run(digits, spec=spec, epochs=60, lr=0.5, optimizer="momentum", patience=2)
    final = recs[-1]
    assert final["status"] == "early_stopped"
    best = min(r["val_loss"] for r in recs[:-1] if r["val_loss"] is not None)
    assert final["val_loss"] == pytest.approx(best, rel=1e-5)


def test_stop_ends_the_run_as_cancelled(digits):
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 5

    model = build_mlp(digits.input_dim, digits.n_classes, MLPSpec(depth=2, width=16))
    recs = list(train(model, digits, TrainSpec(epochs=50), stop=stop))
    assert recs[-1]["status"] == "cancelled" and recs[-1]["step"] < 10


def test_reports_within_an_epoch_on_large_sets(digits):
    model = build_mlp(digits.input_dim, digits.n_classes, MLPSpec(depth=2, width=16))
    recs = list(train(model, digits, TrainSpec(epochs=2, batch_size=1, report_seconds=0.05)))
    assert any(not r["epoch_end"] for r in recs)
    assert [r["epoch"] for r in recs if r["epoch_end"]] == [0, 1, 2]


def test_bad_train_spec_values_raise():
    for kw in [{"epochs": 0}, {"lr": 0.0}, {"lr": float("nan")}, {"optimizer": "sgdd"}, {"schedule": "nope"},
               {"clip_norm": -1}]:
        with pytest.raises(ValueError):
            TrainSpec(**kw)
