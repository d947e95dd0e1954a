"""Initialization variance, measured through 50 layers of width 100 on standardized digits,
averaged over three initializations; and the mean-field theory against the measurement."""
import math

import numpy as np
import pytest

from core.labs.variance import tables
from core.labs.variance.config import Config
from core.labs.variance.run import gaussian_moments, run


@pytest.fixture(scope="module")
def measured():
    relu = Config(activations=("relu",), inits=("he_normal", "glorot_normal", "default", "naive"))
    others = Config(activations=("selu", "sigmoid", "tanh"), inits=("lecun_normal", "naive"))
    return {(r["activation"], r["init"]): r for cfg in (relu, others) for r in run(cfg)}


def _col(rec, key):
    return np.array([row[key] if row[key] is not None else np.nan for row in rec["layers"]])


def test_selu_lecun_stays_self_normalized(measured):
    std = _col(measured["selu", "lecun_normal"], "act_std")
    assert np.all((std > 1 / 1.5) & (std < 1.5))


def test_relu_he_keeps_the_mean_square(measured):
    ms = _col(measured["relu", "he_normal"], "pre_ms")
    assert 1 / 100 < ms[-1] / ms[0] < 100


@pytest.mark.parametrize("initializer", ["glorot_normal", "default"])
def test_relu_glorot_and_default_shrink_it_a_millionfold(measured, initializer):
    ms = _col(measured["relu", initializer], "pre_ms")
    assert ms[-1] / ms[0] < 1e-6


def test_relu_with_naive_init_overflows(measured):
    assert np.isnan(_col(measured["relu", "naive"], "pre_ms")[-1])
    assert "overflow" in tables.summary(measured["relu", "naive"])


def test_tanh_naive_saturates(measured):
    assert np.nanmean(_col(measured["tanh", "naive"], "saturated")) > 0.5


def test_sigmoid_naive_piles_up_at_0_and_1(measured):
    rec = measured["sigmoid", "naive"]
    assert np.nanmean(_col(rec, "saturated")) > 0.45  # within 0.01 of a bound (49% measured)
    hist = tables.hist_frame([rec])
    near = hist[(hist.bin_start < 0.05) | (hist.bin_end > 0.95)].groupby("layer")["share"].sum()
    assert (near > 0.5).all()  # most values within 0.05 of a bound, at every layer drawn


@pytest.mark.parametrize("pair", [("relu", "he_normal"), ("relu", "glorot_normal"), ("selu", "lecun_normal"),
                                  ("tanh", "naive")])
def test_theory_matches_the_measured_gain(measured, pair):
    rows = [r for r in measured[pair]["layers"] if r.get("forward_gain") and r.get("backward_gain")]
    fwd = np.median([r["forward_gain"] / r["forward_theory"] for r in rows])
    bwd = np.median([r["backward_gain"] / r["backward_theory"] for r in rows])
    assert fwd == pytest.approx(1, abs=0.1) and bwd == pytest.approx(1, abs=0.15)


def test_gaussian_moments_match_closed_forms():
    fwd, bwd = gaussian_moments("relu", np.array([1.0, 4.0, math.inf]))
    assert fwd[:2] == pytest.approx([0.5, 0.5], rel=0.03) and bwd[:2] == pytest.approx([0.5, 0.5], rel=0.03)
    assert np.isnan(fwd[2])
    _, lin = gaussian_moments("linear", np.array([2.0]))
    assert lin[0] == pytest.approx(1.0)


def test_biases_floor_the_default_mean_square_and_theory_follows():
    (rec,) = run(Config(activations=("relu",), inits=("default",), bias=True, seeds=1))
    ms = _col(rec, "pre_ms")
    assert ms[-1] / ms[0] > 1e-3  # Var(b) = 1/(3·fan_in) keeps it up
    rows = [r for r in rec["layers"] if r.get("forward_gain")]
    assert np.median([r["forward_gain"] / r["forward_theory"] for r in rows]) == pytest.approx(1, abs=0.1)


def test_histograms_at_the_chosen_layers_sum_to_one():
    (rec,) = run(Config(activations=("tanh",), inits=("glorot_uniform",), depth=12,
                            hist_layers=("1", "12", "40"), seeds=1))
    hist = tables.hist_frame([rec])
    assert sorted(hist.layer.unique()) == [1, 12]  # 40 is deeper than the net
    assert hist.groupby("layer")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("kw,match", [
    ({"activations": ()}, "activations must be 1..6"), ({"inits": ("he",)}, "valid"),
    ({"activations": ("relu", "tanh", "selu"), "inits": ("naive", "default", "he_normal", "lecun_normal",
                                                         "small")}, "at most 12"),
    ({"hist_layers": ("0",)}, "hist_layers"), ({"depth": 101}, "depth"), ({"seeds": 0}, "seeds"),
])
def test_config_limits(kw, match):
    with pytest.raises(ValueError, match=match):
        Config(**kw)
