"""The Loss-landscape lab: each arena preset's outcome, measured through the lab's own config and
run, and the network run's checkpoints."""
import math

import pytest
import torch

from core import curvature
from core.jobs import Artifact
from core.labs import get
from core.labs.landscape import tables
from core.labs.landscape.config import Arena, Config, View
from core.labs.landscape.run import MAX_CHECKPOINTS, keep, run, run_arena

LAB = get("landscape")


def arena_of(title: str, **changes) -> dict[str, dict]:
    """The preset's paths, by optimizer label."""
    values = {k: v for k, v in LAB.preset(title).values().items() if k in Arena.__dataclass_fields__}
    return {r["run"]: r for r in run_arena(Arena(**{**values, **changes}))}


def first_below(path: dict, threshold: float) -> int:
    return next(s for s, loss in zip(path["step"], path["loss"]) if loss < threshold)


def test_on_the_ridge_both_stall_at_the_saddle_without_noise():
    paths = arena_of("On the saddle's ridge: x² − y² from (1.5, 0), no noise")
    for path in paths.values():
        end = path["end"]
        assert path["outcome"] == "in the box" and math.hypot(end["x"], end["y"]) < 1e-3
        assert end["critical"] and end["verdict"] == curvature.SADDLE and end["min_ratio"] == 0.5


def test_on_the_ridge_with_noise_both_escape_momentum_sooner():
    paths = arena_of("On the saddle's ridge, with gradient noise σ = 0.01")
    sgd, momentum = paths["SGD"], paths["SGD + momentum"]
    assert sgd["outcome"] == momentum["outcome"] == "escaped"
    assert momentum["escaped_at"] < sgd["escaped_at"]
    assert (momentum["escaped_at"], sgd["escaped_at"]) == (23, 63)  # the figures the preset states


def test_in_the_valley_momentum_and_adam_reach_the_minimum_sooner_and_sgd_zig_zags():
    paths = arena_of("The valley: gradient descent zig-zags, momentum and Adam go along it")
    sgd, momentum, adam = paths["SGD"], paths["SGD + momentum"], paths["Adam"]
    steps = {name: first_below(p, 1e-3) for name, p in paths.items()}
    assert steps == {"SGD": 277, "SGD + momentum": 94, "Adam": 97}  # the figures the preset states
    flips = sum(a * b < 0 for a, b in zip(sgd["y"][:31], sgd["y"][1:31]))
    assert flips == 30  # every step crosses the valley's floor
    assert sum(a * b < 0 for a, b in zip(adam["y"][:31], adam["y"][1:31])) < 10
    assert momentum["end"]["verdict"] == curvature.MINIMUM


def test_two_minima_the_start_decides_and_momentum_carries_over():
    good, poor = -1.035579, 0.960150
    right = arena_of("Two minima: the start decides")["SGD"]["end"]
    left = arena_of("Two minima: the start decides", x0=-0.5)["SGD"]["end"]
    assert right["x"] == pytest.approx(poor, abs=1e-3) and left["x"] == pytest.approx(good, abs=1e-3)
    paths = arena_of("Two minima: momentum carries over the ridge")
    assert paths["SGD"]["end"]["x"] == pytest.approx(poor, abs=1e-3)
    assert paths["SGD + momentum"]["end"]["x"] == pytest.approx(good, abs=1e-3)
    assert all(p["end"]["verdict"] == curvature.MINIMUM for p in paths.values())


def test_a_start_outside_the_surface_box_is_refused_with_the_box():
    with pytest.raises(ValueError, match=r"outside the saddle surface's box x -2..2"):
        Arena(surface="saddle", x0=3.0)


def test_arena_tables_replay_up_to_a_step():
    records = list(run_arena(Arena(steps=20)))
    assert len(tables.paths(records)) == sum(len(r["step"]) for r in records)
    upto = tables.paths(records, upto=5)
    assert upto["step"].max() == 5 and set(tables.heads(records, upto=5)["outcome"]) == {"moving"}
    assert set(tables.heads(records)["outcome"]) <= {"in the box", "escaped"}


def test_the_network_run_hands_over_its_checkpoints_from_the_initial_to_the_trained_weights():
    out = list(run(Config(depth=1, width=8, epochs=3)))
    network = next(o.value for o in out if isinstance(o, Artifact) and o.name == "network")
    records = [r for r in out if isinstance(r, dict)]
    assert records[-1] == {"kind": "model", "run": "network", "checkpoints": 4, "progress": 1.0, "status": "done"}
    assert network["epochs"] == [0.0, 1.0, 2.0, 3.0]
    checkpoints = network["checkpoints"]
    assert checkpoints.shape == (4, 64 * 8 + 8 + 8 * 10 + 10) and checkpoints.dtype == torch.float32
    assert not torch.equal(checkpoints[0], checkpoints[-1])


def test_checkpoints_are_thinned_keeping_the_first_and_last():
    many = [(float(i), torch.zeros(1)) for i in range(MAX_CHECKPOINTS + 1)]
    kept = keep(many)
    assert len(kept) <= MAX_CHECKPOINTS and kept[0][0] == 0.0 and kept[-1][0] == MAX_CHECKPOINTS


# --- the trained network's views -------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    config = Config(dataset="moons", depth=1, width=8, epochs=4)
    out = list(run(config))
    return config, next(o.value for o in out if isinstance(o, Artifact) and o.name == "network")


def test_the_path_view_ends_at_the_initial_and_trained_losses(trained):
    from core import data
    from core.landscape import load_flat
    from core.labs.landscape import views
    from core.train import evaluate

    config, network = trained
    rows = [r for r in views.linear_path(network, config, View(path_points=5)) if r.get("kind") == "path"][0]["rows"]
    loaded = data.load("moons", seed=config.seed)
    model = views.model_of(network, network["checkpoints"][0], loaded.device)
    for index, alpha in ((0, 0.0), (-1, 1.0)):
        load_flat(model, network["checkpoints"][index])
        for split, name in ((loaded.train, "train"), (loaded.valid, "validation")):
            at = next(r for r in rows if r["split"] == name and r["alpha"] == alpha)
            assert at["loss"] == pytest.approx(evaluate(model, loaded, split)[0], rel=1e-5)
    assert [r["alpha"] for r in rows if r["split"] == "train"] == [-0.5, 0.0, 0.5, 1.0, 1.5]


def test_the_spectrum_view_is_exact_on_a_small_net_and_reads_it_with_the_shared_tolerance(trained):
    from core.labs.landscape import views

    config, network = trained
    out = [r for r in views.spectrum(network, config, View(at=2)) if r.get("kind") == "spectrum"]
    assert [r["checkpoint"] for r in out] == ["initial weights", "epoch 4"] and out[-1]["status"] == "done"
    for r in out:
        values = r["eigenvalues"]
        assert r["exact"] and len(values) == network["checkpoints"].shape[1] and values == sorted(values)
        reading = curvature.classify(values)
        assert (r["verdict"], r["min_ratio"], r["negative"]) == (reading.verdict, reading.min_ratio, reading.negative)
    density, extremes, exact = tables.spectrum_frames(out)
    assert exact and density.groupby("checkpoint")["count"].sum().tolist() == [len(out[0]["eigenvalues"])] * 2


def test_a_view_stops_when_asked(trained):
    from core.labs.landscape import views

    config, network = trained
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    out = list(views.slices(network, config, View(resolution=41), stop=stop))
    assert not any(r.get("kind") in ("slice", "trajectory") for r in out)


def test_stalled_spans_need_a_flat_loss_and_a_large_gradient():
    from core.labs.landscape.views import stalled

    rows = [{"epoch": 0.0, "loss": 2.0, "grad_norm": 1.0}, {"epoch": 1.0, "loss": 1.0, "grad_norm": 0.8},
            {"epoch": 2.0, "loss": 0.999, "grad_norm": 0.5},  # flat, gradient still half its start
            {"epoch": 3.0, "loss": 0.998, "grad_norm": 0.4},
            {"epoch": 4.0, "loss": 0.5, "grad_norm": 0.3},  # improving again
            {"epoch": 5.0, "loss": 0.5, "grad_norm": 0.01}]  # flat at a critical point: not stuck
    assert stalled(rows) == [{"start": 1.0, "end": 3.0}]


def test_the_views_tables_for_csv_exact_and_estimated_spectra_and_stalled_checkpoints():
    exact = {"kind": "spectrum", "checkpoint": "initial weights", "epoch": 0.0, "exact": True,
             "eigenvalues": [-1.0, 0.5, 2.0]}
    estimated = {"kind": "spectrum", "checkpoint": "epoch 4", "epoch": 4.0, "exact": False, "bottom": [-0.1],
                 "top": [3.0, 2.5], "nodes": [[-0.1, 1.0, 3.0]], "weights": [[0.2, 0.5, 0.3]]}
    df = tables.spectrum_table([exact, estimated])
    by = df.groupby("method", sort=False)["eigenvalue"].apply(list).to_dict()
    assert by["exact"] == [-1.0, 0.5, 2.0] and by["Lanczos"] == [-0.1, 2.5, 3.0]
    density = df[df["method"] == "SLQ density"]
    assert len(density) == tables.DENSITY_POINTS and (density["density"] > 0).all()
    assert df.loc[df["method"] != "SLQ density", "density"].isna().all()
    stuck = {"kind": "stuck", "rows": [{"epoch": float(e), "loss": 1.0, "grad_norm": 1.0} for e in range(4)],
             "stalled": [{"start": 1.0, "end": 2.0}]}
    assert tables.stuck_table([stuck])["stalled"].tolist() == [False, True, True, False]
