"""The LR range test: restores everything it touched, stops when the loss blows up, and its
suggestion trains."""
import math

import numpy as np
import pytest
import torch

from core import data, models, optim
from core.labs.schedules import tables
from core.labs.schedules.config import Config, FinderConfig
from core.labs.schedules.finder import FinderSpec, range_test, suggest
from core.labs.schedules.run import run, run_finder
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, train


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_the_model_and_the_optimizer_are_restored_exactly(digits):
    spec = MLPSpec(depth=2, width=32, norm="batchnorm_before", dropout="dropout", dropout_p=0.2)
    model = build_mlp(digits.input_dim, 10, spec, seed=0)
    opt = optim.build("momentum", model.parameters(), lr=0.05)
    list(train(model, digits, TrainSpec(epochs=1, optimizer="momentum", report_seconds=0)))  # some history
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(digits.features(digits.train.x[:32])), digits.train.y[:32]).backward()
    opt.step()  # momentum buffers exist now
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = {k: v.clone() for k, v in opt.state_dict()["state"][0].items()}
    generators = [d.generator for d in models.dropout_layers(model)]
    assert len(generators) == 2 and all(g is not None for g in generators)
    rng = torch.get_rng_state()
    recs = list(range_test(model, digits, FinderSpec(steps=30, optimizer="momentum"), optimizer=opt))
    assert sum(r["kind"] == "finder" for r in recs) > 5
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(opt_before[k], v) for k, v in opt.state_dict()["state"][0].items())
    assert opt.param_groups[0]["lr"] == 0.05
    assert torch.equal(torch.get_rng_state(), rng)  # the global generator is untouched: never drawn from
    assert all(d.generator is g for d, g in zip(models.dropout_layers(model), generators))  # its own are back


def test_dropout_masks_come_from_the_spec_seed_not_the_global_generator(digits):
    spec = MLPSpec(depth=2, width=32, dropout="dropout", dropout_p=0.5)

    def losses(global_seed, finder_seed):
        torch.manual_seed(global_seed)
        model = build_mlp(digits.input_dim, 10, spec, seed=0)
        rng = torch.get_rng_state()
        recs = list(range_test(model, digits, FinderSpec(steps=20, seed=finder_seed)))
        assert torch.equal(torch.get_rng_state(), rng)
        return [r["loss"] for r in recs if r["kind"] == "finder"]

    assert losses(1, 0) == losses(2, 0)  # whatever the global generator holds
    assert losses(1, 0) != losses(1, 1)  # another seed: other batches and masks


def test_it_stops_when_the_loss_blows_up_and_the_rate_rises_exponentially(digits):
    model = build_mlp(digits.input_dim, 10, MLPSpec(depth=2, width=32), seed=0)
    recs = list(range_test(model, digits, FinderSpec(start=1e-4, end=1e3, steps=100)))
    points, result = [r for r in recs if r["kind"] == "finder"], recs[-1]
    assert len(points) < 100 and "4× its minimum" in result["stopped"]
    ratios = np.diff(np.log([p["lr"] for p in points]))
    assert np.allclose(ratios, math.log(1e7) / 99)
    assert max(p["smoothed"] for p in points) > 4 * min(p["smoothed"] for p in points)


def test_suggestions_on_a_known_curve():
    lrs = list(np.logspace(-5, 1, 61))
    x = np.log10(lrs)
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (x + 2)))  # falls fastest at lr 1e-2
    loss = np.where(x > 0, loss + 5 * x ** 2, loss)  # and blows up after 1
    got = suggest(lrs, list(loss))
    assert got["steepest"] == pytest.approx(1e-2, rel=0.05)
    assert got["min_div_10"] == pytest.approx(lrs[int(np.argmin(loss))] / 10)


def test_the_suggested_rate_on_digits_trains(digits):
    config = FinderConfig(depth=2, width=64, steps=80)
    result = list(run_finder(config))[-1]
    lr = result["suggestions"]["steepest"]
    assert 1e-3 < lr < 2.0
    model = build_mlp(digits.input_dim, 10, MLPSpec(config.depth, config.width, config.activation, init=config.init),
                      seed=0)
    final = list(train(model, digits, TrainSpec(epochs=4, lr=lr, report_seconds=0, layer_stats=False)))[-1]
    assert final["status"] == "done" and final["val_acc"] > 0.9


def test_a_schedule_race_runs_headless_and_reports_learning_rates():
    config = Config(schedules=("constant", "onecycle", "plateau"), epochs=2, depth=1, width=32)
    recs = list(run(config))
    done = [r for r in recs if r.get("status") == "done"]
    assert {r["entrant"] for r in done} == {"Constant", "1cycle", "ReduceLROnPlateau"}
    board = tables.scoreboard(recs)
    assert set(board["status"]) == {"done"} and board["best val accuracy"].between(0, 1).all()
    curves = tables.race_curves(recs)
    assert {"learning rate", "train loss", "validation loss"} == set(curves["metric"])
    one = curves[(curves.schedule == "1cycle") & (curves.metric == "learning rate")]["value"]
    assert one.iloc[0] == pytest.approx(0.05 / 25) and one.iloc[-1] < one.iloc[0] / 10  # up, then far below


@pytest.mark.parametrize("kw,match", [({"schedules": ("cosine", "cosine")}, "repeat"),
                                      ({"settings": ("onecycle:pct_start=3",), "schedules": ("onecycle",)}, "pct_start"),
                                      ({"optimizer": "sophia"}, "second-order"), ({"seeds": 9}, "seeds")])
def test_schedule_config_limits(kw, match):
    with pytest.raises(ValueError, match=match):
        Config(**kw)
