"""The Vanishing-gradients lab's claims, measured at depth 20, width 100 on digits."""
import dataclasses

import pytest

from core import frames
from core.frames import pow10
from core.labs.vanishing.config import PRESETS, Config, parse_run
from core.labs.vanishing.run import run
from core.labs.vanishing.tables import verdict


@pytest.fixture(scope="module")
def measured():
    """One epoch of every preset the issue makes a claim about, plus sigmoid + PyTorch default."""
    runs = ("sigmoid-glorot", "sigmoid/default", "relu-he", "selu-lecun", "relu-naive", "tanh-naive")
    records = list(run(Config(runs=runs, epochs=1)))
    return frames.by_run(records)


def _ratio(rec: dict, depth: int = 20) -> float:
    grads = {row["layer"]: row["grad_norm"] for row in rec["layers"]}
    return grads[1] / grads[depth]


@pytest.mark.parametrize("run", ["sigmoid + Glorot", "Sigmoid + PyTorch default"])
def test_sigmoid_gradients_vanish_by_a_million(measured, run):
    for rec in measured[run]:
        assert _ratio(rec) < 1e-6


@pytest.mark.parametrize("run", ["ReLU + He", "SELU + LeCun"])
def test_healthy_inits_stay_within_10x(measured, run):
    for rec in measured[run]:
        assert 0.1 < _ratio(rec) < 10


def test_relu_with_naive_init_diverges(measured):
    assert measured["ReLU + N(0,1)"][-1]["status"] == "diverged"


def test_tanh_with_naive_init_explodes_toward_the_input(measured):
    assert _ratio(measured["tanh + N(0,1)"][0]) > 1e3


def test_verdicts_come_from_the_numbers(measured):
    assert "10⁻¹² of the gradient of layer 20: vanishing" in verdict(measured["sigmoid + Glorot"])
    assert "no vanishing or exploding" in verdict(measured["ReLU + He"])
    assert verdict(measured["ReLU + N(0,1)"]).startswith("diverged at epoch 1")
    assert "exploding toward the input" in verdict(measured["tanh + N(0,1)"])
    # the same numbers under another name get the same verdict: nothing is read from the label
    relabelled = [dict(r, run="anything") for r in measured["sigmoid + Glorot"]]
    assert verdict(relabelled) == verdict(measured["sigmoid + Glorot"])


def test_pow10_formats_superscripts():
    assert pow10(1.3e-12) == "10⁻¹²" and pow10(3.4e-12) == "10⁻¹¹"  # nearest in log space
    assert pow10(9.7e6) == "10⁷"


@pytest.mark.parametrize("text", ["relu/he_normal/norm=batchnorm_before/clip=1/optimizer=adam/lr=0.001",
                                  *PRESETS])
def test_run_specs_round_trip(text):
    spec = parse_run(text)
    again = parse_run(spec.text())
    assert dataclasses.replace(again, label=spec.label) == spec


@pytest.mark.parametrize("kw,match", [
    ({"runs": ()}, "runs must be 1..10"), ({"runs": ("x",) * 11}, "runs must be 1..10"),
    ({"runs": ("relu/he_normal/norm=bad",)}, "unknown part"), ({"runs": ("relu/he_normal/clip=-1",)}, "clip"),
    ({"depth": 0}, "depth"), ({"lr": 1e9}, "lr"), ({"dataset": "imagenet"}, "dataset"),
    ({"device": "tpu"}, "device"), ({"epochs": 1.5}, "epochs must be int"),
])
def test_config_limits(kw, match):
    with pytest.raises(ValueError, match=match):
        Config(**kw)


def test_presets_repair_what_they_claim():
    """Batch norm repairs sigmoid + Glorot; clipping repairs ReLU + He under momentum at 0.05."""
    runs = ("sigmoid-glorot", "sigmoid-glorot-bn", "relu-he-momentum", "relu-he-momentum-clip")
    by = frames.by_run(list(run(Config(runs=runs, epochs=10))))
    acc = {run: recs[-1]["val_acc"] or 0.0 for run, recs in by.items()}  # a diverged run learned nothing
    assert acc["sigmoid + Glorot + batch norm"] > acc["sigmoid + Glorot"] + 0.5
    assert acc["ReLU + He, momentum 0.05 + clipping"] > acc["ReLU + He, momentum 0.05"] + 0.3
