"""The Activations lab: properties measured, not typed in; gradient through depth; dying ReLU."""
import json
import math

import pytest

from core import activations, frames, labs
from core.__main__ import main
from core.labs.activations import shapes as S
from core.labs.activations import tables
from core.labs.activations.config import Config
from core.labs.activations.run import run

SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772  # Klambauer et al.'s constants


def props(name, **params):
    return S.properties(name, {name: params})


def test_sigmoid_properties():
    p = props("sigmoid")
    assert p.max_slope == pytest.approx(0.25, abs=1e-12) and p.slope_text() == "0.25 at z = 0"
    assert (p.lo, p.hi, p.lo_reached, p.hi_reached) == (pytest.approx(0, abs=1e-12), pytest.approx(1), False, False)
    assert p.range_text() == "(0, 1)"
    assert not p.zero_centred and p.mean == pytest.approx(0.5)
    assert p.smooth and p.monotonic and p.init == "glorot_normal"


def test_tanh_is_zero_centred_with_slope_one():
    p = props("tanh")
    assert p.zero_centred and p.max_slope == pytest.approx(1.0) and p.range_text() == "(−1, 1)"


def test_relu_is_monotonic_but_not_smooth():
    p = props("relu")
    assert not p.smooth and p.jump == pytest.approx(1.0) and abs(p.jump_z) < 1e-3
    assert p.monotonic and p.range_text() == "[0, ∞)" and not p.zero_centred
    assert p.slope_text() == "1 for z > 0"


@pytest.mark.parametrize("name", ["gelu", "swish", "mish"])
def test_self_gated_units_are_smooth_but_not_monotonic(name):
    p = props(name)
    assert p.smooth and not p.monotonic and p.min_slope < -0.05
    assert p.lo_reached and p.lo < 0  # a minimum below 0, taken at a finite z


def test_gelu_minimum_and_slope_dip_where_calculus_puts_them():
    p = props("gelu")
    assert p.lo == pytest.approx(-0.16997, abs=1e-4)  # GELU's minimum, at z ≈ −0.7518
    assert p.min_slope_z == pytest.approx(-math.sqrt(2), abs=1e-3)  # f'' = 0 at z = −√2


def test_selu_largest_slope_is_lambda_alpha_just_left_of_zero():
    p = props("selu")
    assert p.max_slope == pytest.approx(SELU_LAMBDA * SELU_ALPHA, abs=1e-3)
    assert p.lo == pytest.approx(-SELU_LAMBDA * SELU_ALPHA, abs=1e-6) and not p.lo_reached
    assert p.zero_centred and not p.smooth  # mean 0 for N(0, 1) inputs by design; f' jumps at 0


@pytest.mark.parametrize("name", ["softplus", "relu2", "sigmoid", "tanh", "linear"])
def test_smooth_ones(name):
    assert props(name).smooth


def test_elu_is_c1_only_when_alpha_is_one():
    assert props("elu", alpha=1.0).smooth
    p = props("elu", alpha=0.5)
    assert not p.smooth and p.jump == pytest.approx(0.5, abs=1e-3) and p.lo == pytest.approx(-0.5)


def test_linear_and_leaky_are_unbounded():
    for p in (props("linear"), props("leaky_relu", alpha=0.2)):
        assert math.isinf(p.lo) and math.isinf(p.hi) and p.range_text() == "(−∞, ∞)"
    assert props("leaky_relu", alpha=0.2).min_slope == pytest.approx(0.2)
    assert props("relu2").slope_text().startswith("unbounded")


def test_properties_table_names_the_initializer_and_parameters():
    table = S.properties_table(["leaky_relu", "selu"], {"leaky_relu": {"alpha": 0.1}}).set_index("activation")
    assert table.loc["Leaky ReLU (α = 0.1)", "suits init"] == "He normal"
    assert table.loc["SELU", "suits init"] == "LeCun normal"
    assert table.loc["SELU", "largest |f′|"] == "1.758 at z = 0"


def test_depth_products_sigmoid_below_its_bound_linear_exactly_one():
    df = S.depth_products(["sigmoid", "linear", "relu"], None, sigma=1.0, max_depth=30)
    by = {a: g.set_index("depth")["product"] for a, g in df.groupby("activation")}
    bound = S.sigmoid_bound(30).set_index("depth")["product"]
    assert (by["Sigmoid"] <= bound).all() and by["Sigmoid"][10] < 1e-6
    assert (by["Linear (identity)"] == 1.0).all()
    assert by["ReLU"][1] == pytest.approx(0.5, abs=0.03)  # half the units are active
    assert by["ReLU"][30] == 0.0  # no sampled path survives 30 ReLUs (2^−30 of 4096)


def test_depth_products_are_seeded():
    a = S.depth_products(["tanh"], None, sigma=2.0)
    assert a.equals(S.depth_products(["tanh"], None, sigma=2.0))


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def _softplus(z):
    return math.log1p(math.exp(z))


def _phi(z):  # the standard normal's density and distribution function
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi), (1 + math.erf(z / math.sqrt(2))) / 2


# f(z) and f'(z) by hand, for z away from 0, with each activation's parameters (defaults as in the registry)
CLOSED_FORMS = {
    "sigmoid": lambda z: (_sigmoid(z), _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": lambda z: (math.tanh(z), 1 - math.tanh(z) ** 2),
    "relu": lambda z: (max(z, 0.0), 1.0 if z > 0 else 0.0),
    "leaky_relu": lambda z, alpha=0.01: (z if z > 0 else alpha * z, 1.0 if z > 0 else alpha),
    "elu": lambda z, alpha=1.0: (z, 1.0) if z > 0 else (alpha * math.expm1(z), alpha * math.exp(z)),
    "selu": lambda z: (SELU_LAMBDA * z, SELU_LAMBDA) if z > 0 else (
        SELU_LAMBDA * SELU_ALPHA * math.expm1(z), SELU_LAMBDA * SELU_ALPHA * math.exp(z)),
    "gelu": lambda z: (z * _phi(z)[1], _phi(z)[1] + z * _phi(z)[0]),
    "swish": lambda z, beta=1.0: (z * _sigmoid(beta * z),
                                  _sigmoid(beta * z) + beta * z * _sigmoid(beta * z) * (1 - _sigmoid(beta * z))),
    "mish": lambda z: (z * math.tanh(_softplus(z)),
                       math.tanh(_softplus(z)) + z * (1 - math.tanh(_softplus(z)) ** 2) * _sigmoid(z)),
    "softplus": lambda z: (_softplus(z), _sigmoid(z)),
    "relu2": lambda z: (max(z, 0.0) ** 2, 2 * max(z, 0.0)),
    "linear": lambda z: (z, 1.0),
}


@pytest.mark.parametrize("params", [None, {"leaky_relu": {"alpha": 0.2}, "elu": {"alpha": 0.5},
                                           "swish": {"beta": 2.0}}], ids=["defaults", "own parameters"])
def test_readout_equals_the_autograd_derivative(params):
    """The readout's f(z) and f'(z) (autograd) against the calculus, an oracle independent of it."""
    names = activations.names()
    assert set(CLOSED_FORMS) == set(names)
    for z in (-2.5, -0.4, 0.3, 1.7, 4.0):
        out = S.readout(names, params, z)
        assert list(out.activation) == [S.label(n) for n in names] and (out.z == z).all()
        for name, row in zip(names, out.itertuples()):
            f, df = CLOSED_FORMS[name](z, **(params or {}).get(name, {}))
            assert row.f == pytest.approx(f, rel=1e-12, abs=1e-12), (name, z)
            assert row.df == pytest.approx(df, rel=1e-12, abs=1e-12), (name, z)


def test_sigmoid_saturates_beyond_the_exact_bound():
    # σ'(z) = σ(1 − σ) = t at σ = (1 + √(1 − 4t)) / 2, i.e. z = ln(σ / (1 − σ)) = 2.8873 for t = 0.05
    s = (1 + math.sqrt(1 - 4 * 0.05)) / 2
    bound = math.log(s / (1 - s))
    regions = S.saturation_regions(["sigmoid"], None, (-6.0, 6.0), 0.05)
    assert regions[["z0", "z1"]].values.tolist() == [
        [-6.0, pytest.approx(-bound, abs=1e-3)], [pytest.approx(bound, abs=1e-3), 6.0]]
    assert S.saturation_regions(["linear"], None, (-6.0, 6.0), 0.05).empty


def test_curves_cover_the_range_with_autograd_slopes():
    df = S.curves(["leaky_relu"], {"leaky_relu": {"alpha": 0.2}}, (-3.0, 3.0), n=61)
    assert df.z.min() == -3.0 and df.z.max() == 3.0 and len(df) == 61
    assert set(df[df.z < 0].df.round(12)) == {0.2} and set(df[df.z > 0].df) == {1.0}


@pytest.mark.parametrize("gate", S.GATES.names())
def test_gated_surface_is_zero_where_the_value_is_zero(gate):
    df = S.gated_surface(gate, n=41)
    on_axis = df[df.b == 0]
    assert len(df) == 41 * 41 and len(on_axis) == 41 and (on_axis.out == 0).all()


def test_glu_passes_half_the_value_at_a_zero():
    df = S.gated_surface("glu", n=41)
    row = df[(df.a == 0) & (df.b == df.b.max())]
    assert row.out.item() == pytest.approx(2.0)



@pytest.mark.parametrize("kw,match", [
    ({"activations": ()}, "activations must be 1..6"), ({"activations": ("relu", "relu")}, "must not repeat"),
    ({"activations": ("relu", "swishy")}, "swishy"), ({"depth": 0}, "depth must be 1..30"),
    ({"depth": 31}, "depth"), ({"width": 2}, "width"), ({"lr": 0.0}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"epochs": 101}, "epochs"), ({"optimizer": "sgdd"}, "optimizer"), ({"dataset": "imagenet"}, "dataset"),
])
def test_config_limits(kw, match):
    with pytest.raises(ValueError, match=match):
        Config(**kw)


def test_registered_for_the_command_line():
    lab = labs.get("activations")
    assert lab.title == "Activations" and lab.config is Config and lab.run is run


@pytest.fixture(scope="module")
def dying():
    """The measured defaults (Adam at 0.01, depth 6, width 100, 10 epochs), ReLU against leaky."""
    config = Config(activations=("relu", "leaky_relu"))
    return list(run(config))


def test_relu_units_die_and_leaky_ones_do_not(dying):
    latest = tables.dead_by_layer(dying).groupby("run")["dead_grad"].mean()
    assert latest["ReLU"] > 0.05 and latest["Leaky ReLU"] == 0.0
    over = tables.dead_over_epochs(dying)
    relu = over[over.run == "ReLU"].set_index("epoch")["dead_grad"]
    assert relu[0.0] < relu[float(Config().epochs)]  # they die during training


def test_relu_dead_means_never_positive(dying):
    """For ReLU a zero slope everywhere and never positive are the same thing; for leaky not."""
    df = tables.dead_by_layer(dying)
    relu = df[df.run == "ReLU"]
    assert (relu.dead_grad == relu.dead).all()


def test_summary_reads_the_numbers(dying):
    by = frames.by_run(dying)
    assert tables.summary(by["Leaky ReLU"]).startswith("At epoch 10, 0% of hidden units are dead;")
    assert "validation accuracy" in tables.summary(by["ReLU"])


def test_a_stopped_run_keeps_its_dead_counts():
    calls = iter(range(10**6))
    records = list(run(Config(activations=("relu",), depth=2, width=16, epochs=50),
                           stop=lambda: next(calls) > 40))
    assert records[-1]["status"] == "cancelled"
    assert tables.dead_by_layer(records)["dead_grad"].notna().all() and not tables.dead_by_layer(records).empty


def test_command_line_run(tmp_path):
    path = tmp_path / "out.json"
    assert main(["run", "activations", "--set", "activations=relu,elu", "--set", "epochs=1",
                 "--set", "depth=2", "--json", str(path)]) == 0
    runs = {r["run"]: r for r in json.loads(path.read_text())["runs"]}
    assert set(runs) == {"ReLU", "ELU"} and runs["ELU"]["status"] == "done"
    assert "dead_grad" in runs["ReLU"]["records"][-1]["layers"][0]
