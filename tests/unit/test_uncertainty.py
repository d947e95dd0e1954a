"""MC dropout, its summary, calibration and out-of-distribution inputs, checked against oracles:
hand-computed values, torchmetrics, and a trained network's behaviour on noise."""
import math

import pytest
import torch
from torch.testing import assert_close
from torchmetrics.functional.classification import multiclass_calibration_error

from core import data, models
from core.jobs import Artifact
from core.labs.dropout import analysis as A
from core.labs.dropout import mc as U
from core.labs.dropout.config import NOISE, TEST, Config
from core.labs.dropout.run import run
from core.models import MLPSpec, build_mlp

KINDS = [("dropout", "relu", "he_normal"), ("alpha_dropout", "selu", "lecun_normal")]


def _net(kind: str = "dropout", p: float = 0.5, activation: str = "relu", init: str = "he_normal"):
    return build_mlp(8, 4, MLPSpec(2, 32, activation, init=init, dropout=kind, dropout_p=p), seed=0)


def _x(n: int = 6) -> torch.Tensor:
    return torch.randn(n, 8, generator=torch.Generator().manual_seed(0))


# --- the passes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,activation,init", KINDS)
def test_passes_differ_when_dropout_is_on_in_eval(kind, activation, init):
    model = _net(kind, 0.5, activation, init).train()
    probs = U.mc_probs(model, _x(), 10, seed=1)
    assert probs.shape == (10, 6, 4)
    assert_close(probs.sum(-1), torch.ones(10, 6))
    assert not torch.allclose(probs[0], probs[1])
    assert all(m.training for m in model.modules())  # the model's own mode is restored
    assert_close(U.mc_probs(model, _x(), 10, seed=1), probs)  # the same seed, the same masks
    assert not torch.allclose(U.mc_probs(model, _x(), 10, seed=2), probs)


def test_passes_are_equal_when_dropout_is_off():
    model = _net("none", 0.0)
    probs, det = U.mc_probs(model, _x(), 7), U.predict(model, _x())
    for t in range(7):  # pass t of image i sits at [t, i]: every pass equals the plain prediction
        assert_close(probs[t], det)
    s = U.summarize(probs)
    assert s.std.max() < 1e-6 and s.mutual_info.max() < 1e-5
    dropout_model = _net("dropout", 0.5).eval()
    assert_close(U.predict(dropout_model, _x()), U.predict(dropout_model, _x()))  # eval: no masks


def test_the_passes_run_as_one_batched_forward_per_chunk():
    model, shapes = _net(), []
    model.register_forward_hook(lambda module, args, out: shapes.append(tuple(args[0].shape)))
    U.mc_probs(model, _x(6), 50)
    assert shapes == [(300, 8)]  # 6 images repeated 50 times, one call
    shapes.clear()
    probs = U.mc_probs(model, _x(6), 50, max_rows=100)  # 2 images per forward bound the memory
    assert shapes == [(100, 8)] * 3 and probs.shape == (50, 6, 4)


def test_the_callers_random_state_is_left_alone():
    model, x = _net(), _x()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    rng = torch.get_rng_state()
    probs = U.mc_probs(model, x, 5, seed=9)
    assert torch.equal(torch.get_rng_state(), rng)  # the global generator is untouched: never drawn from
    assert torch.equal(torch.rand(3), expected)
    torch.manual_seed(456)  # the masks come from `seed` alone, whatever the global generator holds
    assert torch.equal(U.mc_probs(model, x, 5, seed=9), probs)
    gens = [m.generator for m in models.dropout_layers(model)]
    assert len(gens) == 2 and all(g is not None for g in gens)
    U.mc_probs(model, x, 5, seed=9)
    assert all(m.generator is g for m, g in zip(models.dropout_layers(model), gens))  # the model's own are put back


def test_passes_outside_the_limits_raise():
    with pytest.raises(ValueError, match="passes must be 1..500"):
        U.mc_probs(_net(), _x(), 501)


# --- the summary over the pass axis -------------------------------------------------------------

def test_mean_std_entropy_and_mutual_information_over_the_pass_axis():
    probs = torch.tensor([[[1.0, 0.0], [0.5, 0.5], [0.2, 0.8]],
                          [[0.0, 1.0], [0.5, 0.5], [0.6, 0.4]]], dtype=torch.float64)  # (T=2, N=3, C=2)
    s = U.summarize(probs)
    assert s.mean.shape == s.std.shape == (3, 2) and s.entropy.shape == s.mutual_info.shape == (3,)
    assert_close(s.mean, torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.4, 0.6]], dtype=torch.float64))
    assert_close(s.std, torch.tensor([[0.5, 0.5], [0.0, 0.0], [0.2, 0.2]], dtype=torch.float64))
    h = lambda *p: -sum(q * math.log(q) for q in p if q > 0)  # noqa: E731
    ln2 = math.log(2)
    assert_close(s.entropy, torch.tensor([ln2, ln2, h(0.4, 0.6)], dtype=torch.float64))
    aleatoric = [0.0, ln2, (h(0.2, 0.8) + h(0.6, 0.4)) / 2]
    assert_close(s.expected_entropy, torch.tensor(aleatoric, dtype=torch.float64))
    # image 0: the passes disagree completely (all epistemic); image 1: they agree on 50/50 (none)
    assert_close(s.mutual_info, torch.tensor([ln2, 0.0, h(0.4, 0.6) - aleatoric[2]], dtype=torch.float64))
    assert_close(U.summarize(probs[:1]).std, torch.zeros(3, 2, dtype=torch.float64))  # one pass: no spread


# --- calibration --------------------------------------------------------------------------------

def test_ece_matches_torchmetrics_on_a_known_case():
    probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    labels = torch.tensor([0, 1, 0, 1])
    conf, pred = probs.max(1)
    # bin 0.9: accuracy 1/2 at confidence 0.9 (2 of 4); 0.6: 1 at 0.6; 0.7: 1 at 0.7
    expected = 2 / 4 * 0.4 + 1 / 4 * 0.4 + 1 / 4 * 0.3
    assert U.ece(conf, pred == labels, 10) == pytest.approx(expected, abs=1e-6)
    tm = float(multiclass_calibration_error(probs, labels, num_classes=2, n_bins=10, norm="l1"))
    assert tm == pytest.approx(expected, abs=1e-6)
    assert U.calibration_error(probs, labels, 10) == pytest.approx(tm, abs=1e-7)


@pytest.mark.parametrize("bins", [5, 10, 15])
def test_ece_matches_torchmetrics_on_random_predictions_with_certain_ones(bins):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(1000, 10, generator=g) * 4
    logits[:50, 3] = 100.0  # a top probability of exactly 1.0, which torchmetrics bins apart
    probs, labels = logits.softmax(1), torch.randint(0, 10, (1000,), generator=g)
    labels[:1000:3] = probs[:1000:3].argmax(1)
    conf, pred = probs.max(1)
    assert (conf == 1.0).sum() >= 50
    tm = float(multiclass_calibration_error(probs, labels, num_classes=10, n_bins=bins, norm="l1"))
    assert U.ece(conf, pred == labels, bins) == pytest.approx(tm, abs=1e-6)


def test_reliability_bins_count_every_prediction():
    conf = torch.tensor([0.05, 0.15, 0.15, 0.55, 1.0, 0.95])
    correct = torch.tensor([False, True, False, True, True, False])
    rows = U.reliability(conf, correct, 10)
    assert [r["count"] for r in rows] == [1, 2, 0, 0, 0, 1, 0, 0, 0, 2]  # 1.0 goes in the last bin
    assert rows[1]["accuracy"] == 0.5 and rows[1]["confidence"] == pytest.approx(0.15)
    assert rows[2]["accuracy"] is None and rows[9]["confidence"] == pytest.approx(0.975)


# --- galleries and out-of-distribution inputs ----------------------------------------------------

def test_gallery_rankings():
    assert U.most_uncertain(torch.tensor([0.1, 0.9, 0.5, 0.9]), 3) == [1, 3, 2]
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.99, 0.01]])
    assert U.confidently_wrong(probs, torch.tensor([1, 1, 1, 0]), 5) == [0, 2]


def test_noise_and_shuffled_pixels_stay_in_the_pixel_range():
    digits = data.load("digits")
    noise = U.uniform_noise(digits, 500, seed=1)
    assert noise.shape == (500, 64) and noise.dtype == torch.uint8
    assert int(noise.min()) == 0 and int(noise.max()) == 16
    x = digits.test.x[:20]
    shuffled = U.shuffled_pixels(x, seed=1)
    assert torch.equal(shuffled.sort(1).values, x.sort(1).values) and not torch.equal(shuffled, x)


def _image_set(name: str, x: torch.Tensor, shape: tuple, scale: float) -> data.Data:
    split = data.Split(x, torch.zeros(len(x), dtype=torch.long))
    one = torch.zeros(1)
    return data.Data(name, split, split, split, scale, one, one + 1, 10, shape, tuple("0123456789"))


def test_another_image_set_is_resized_and_rescaled_to_this_ones_layout():
    digits = data.load("digits")
    img = torch.zeros(2, 28, 28, dtype=torch.uint8)
    img[0, :, :14] = 255  # left half white
    img[1] = 255
    mnist_like = _image_set("mnist", img.view(2, -1), (1, 28, 28), 1 / 255)
    out = U.foreign_images(mnist_like, digits, 2).view(2, 8, 8)
    assert out.dtype == torch.uint8
    assert (out[0, :, :4] == 16).all() and (out[0, :, 4:] == 0).all() and (out[1] == 16).all()
    colour = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    colour[0, 0] = 255  # pure red: a third of the grey level
    cifar_like = _image_set("cifar10", colour.view(1, -1), (3, 32, 32), 1 / 255)
    assert (U.foreign_images(cifar_like, digits, 1) == 5).all()  # 16 / 3 rounded
    back = U.foreign_images(digits, mnist_like, 3)  # 8×8 up to 28×28
    assert back.shape == (3, 784) and int(back.max()) <= 255


def test_pictures_are_sharp_uint8_images():
    pics = U.pictures(torch.zeros(2, 64, dtype=torch.uint8), (1, 8, 8), 1 / 16, height=80, margin=3)
    assert len(pics) == 2 and pics[0].shape == (86, 86) and pics[0].dtype.name == "uint8"
    assert pics[0][3:83, 3:83].max() == 0 and pics[0][:3].min() == 255  # 10× pixels in a white frame
    full = U.pictures(torch.full((1, 64), 16, dtype=torch.uint8), (1, 8, 8), 1 / 16, margin=0)
    assert full[0].shape == (80, 80) and full[0].min() == 255  # 16 of 16 is white
    rgb = U.pictures(torch.zeros(1, 3 * 32 * 32, dtype=torch.uint8), (3, 32, 32), 1 / 255, height=80, margin=0)
    assert rgb[0].shape == (96, 96, 3)


# --- on a trained network -----------------------------------------------------------------------

def test_mc_entropy_is_higher_for_noise_than_for_clean_test_digits():
    config = Config(rates=(0.5,), seed=0)  # the lab's defaults otherwise: 200 digits, 60 epochs
    (weights,) = [a for a in run(config) if isinstance(a, Artifact)]
    assert weights.name == "weights/dropout 0.5"
    an = A.analyse(config, "dropout 0.5", weights.value, 50)
    means = an.table.groupby("source")[["entropy", "mutual_info"]].mean()
    assert means.loc[NOISE, "entropy"] > 1.5 * means.loc[TEST, "entropy"]
    assert means.loc[NOISE, "mutual_info"] > 1.5 * means.loc[TEST, "mutual_info"]
    assert an.has_dropout and an.accuracy["MC dropout"] > 0.8
