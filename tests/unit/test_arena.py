"""The landscape lab's toy arena: point readings against the second-order test worked by hand,
contour lines against the circle they must be, the surfaces' minima, how paths end, fairness
of the noise, and the textbook outcomes the presets rely on, measured."""
import json
import math

import numpy as np
import pytest

from core import contours, curvature, optim
from core.labs.landscape import surfaces
from core.labs.landscape.arena import paths, reading, walk
from core.race import Entrant

SGD = Entrant("sgd", 0.1)
MOMENTUM = Entrant("momentum", 0.1, (("momentum", 0.9),))


def _first_below(rec: dict, threshold: float) -> int | None:
    below = np.nonzero(np.array(rec["loss"]) < threshold)[0]
    return int(below[0]) if len(below) else None


def _sign_flips(ys: list[float]) -> int:
    s = np.sign(ys)
    return int((s[1:] * s[:-1] < 0).sum())


# --- readings against the hand-worked second-order test ---

def test_saddle_origin_reads_as_a_saddle():
    r = reading("saddle", 1.0, (0.0, 0.0))
    assert r["eigenvalues"] == pytest.approx([-2.0, 2.0])  # ascending
    assert r["min_ratio"] == 0.5 and r["verdict"] == curvature.SADDLE and r["critical"]


def test_bowl_reads_as_a_minimum():
    r = reading("valley", 1.0, (0.0, 0.0))  # κ = 1: a round bowl
    assert r["eigenvalues"] == pytest.approx([1.0, 1.0])
    assert r["min_ratio"] == 1.0 and r["verdict"] == curvature.MINIMUM
    assert reading("valley", 10.0, (0.0, 0.0))["eigenvalues"] == pytest.approx([1.0, 10.0])


def test_monkey_saddle_origin_is_flat():
    r = reading("monkey", 1.0, (0.0, 0.0))
    assert r["eigenvalues"] == pytest.approx([0.0, 0.0])
    assert r["verdict"] == curvature.FLAT and r["critical"]


def test_reading_away_from_a_critical_point():
    r = reading("saddle", 1.0, (1.0, 0.5))
    assert r["loss"] == pytest.approx(0.75) and r["grad_norm"] == pytest.approx(math.hypot(2.0, 1.0))
    assert not r["critical"]


# --- surfaces ---

def test_registry_order_and_bad_name():
    assert surfaces.names() == ["saddle", "monkey", "valley", "rosenbrock", "rastrigin", "beale", "himmelblau",
                                "two_minima"]
    with pytest.raises(ValueError, match="saddle"):
        surfaces.get("nope")


@pytest.mark.parametrize("name", surfaces.names())
def test_minima_are_critical_minima(name):
    s = surfaces.get(name)
    for point in s.minima + s.local_minima:
        r = reading(name, 10.0, point)
        lo, hi = r["eigenvalues"]
        assert r["critical"] and 0 < lo <= hi, (name, point, r)
        # Rosenbrock's minimum has λ ≈ (0.40, 1001.6): a condition of ~2500, within 1/REL_TOL
        assert r["verdict"] == curvature.MINIMUM, (name, point, r)


def test_two_minima_values():
    (good,), (poor,) = surfaces.get("two_minima").minima, surfaces.get("two_minima").local_minima
    assert surfaces.value("two_minima", 1.0, *good) == pytest.approx(-0.30543, abs=1e-5)
    assert surfaces.value("two_minima", 1.0, *poor) == pytest.approx(0.29415, abs=1e-5)


def test_grid_rows_are_y():
    xs, ys, z = surfaces.grid("rosenbrock", 1.0, 21)
    assert xs.shape == ys.shape == (21,) and z.shape == (21, 21)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == surfaces.get("rosenbrock").box
    assert z[3, 17] == pytest.approx(surfaces.value("rosenbrock", 1.0, xs[17], ys[3]))


# --- contours ---

def test_bowl_contours_are_closed_circles():
    xs = ys = np.linspace(-2, 2, 201)
    z = xs[None, :] ** 2 + ys[:, None] ** 2  # (ny, nx)
    lines = contours.iso_lines(xs, ys, z, [0.25, 1.0, 2.0])
    assert list(lines.columns) == ["level", "line", "order", "x", "y"]
    assert lines.groupby("level")["line"].nunique().tolist() == [1, 1, 1]  # one closed loop each
    for _, line in lines.groupby("line"):
        level = line["level"].iloc[0]
        assert line["order"].tolist() == list(range(len(line)))
        pts = line.sort_values("order")[["x", "y"]].to_numpy()
        assert np.allclose(pts[0], pts[-1])  # closed
        assert np.allclose(np.hypot(pts[:, 0], pts[:, 1]), math.sqrt(level), atol=2e-3)


def test_levels_reach_into_a_steep_valley():
    _, _, z = surfaces.grid("rosenbrock", 1.0, 101)
    lv = contours.levels(z, 12)
    assert len(lv) == 12 and lv == sorted(set(lv))
    assert lv[0] < 0.01 * z.max()  # quantiles: some lines lie near the minimum, not all on the walls
    assert contours.levels(np.ones((5, 5)), 8) == [1.0]  # a plateau: one level, never duplicates
    assert contours.iso_lines(np.arange(5.0), np.arange(5.0), np.ones((5, 5)), []).empty


# --- how paths end ---

def test_escape_ends_on_the_box_edge():
    (rec,) = paths("saddle", 1.0, (0.5, 0.3), 200, 0.0, [SGD], seed=0)
    assert rec["outcome"] == "escaped" and rec["status"] == "done" and rec["end"] is None
    assert rec["escaped_at"] == rec["step"][-1] and rec["message"] == f"escaped the box at step {rec['escaped_at']}"
    assert abs(rec["y"][-1]) == pytest.approx(2.0)  # y grows ×1.2 a step: it leaves through y = ±2
    assert all(abs(x) <= 2 and abs(y) <= 2 for x, y in zip(rec["x"], rec["y"]))
    json.dumps(rec, allow_nan=False)


def test_done_diverged_and_cancelled():
    bad = Entrant("sgd", float("nan"), label="broken")
    done, broken = paths("valley", 1.0, (1.0, 1.0), 50, 0.0, [SGD, bad], seed=0)
    assert done["status"] == "done" and len(done["x"]) == 51 and done["progress"] == 0.5
    assert done["end"]["verdict"] == curvature.MINIMUM and done["end"]["x"] == done["x"][-1]
    assert broken["status"] == "diverged" and broken["run"] == "broken" and broken["escaped_at"] is None
    json.dumps(done, allow_nan=False)
    stopped = walk("valley", 1.0, (1.0, 1.0), 500, 0.0, SGD, 0, stop=lambda: True)
    assert stopped["status"] == "cancelled" and len(stopped["x"]) == 101
    assert list(paths("valley", 1.0, (1.0, 1.0), 50, 0.0, [SGD, SGD], 0, stop=lambda: True)) == []
    with pytest.raises(ValueError, match="outside"):
        walk("saddle", 1.0, (3.0, 0.0), 10, 0.0, SGD, 0)


@pytest.mark.parametrize("name", optim.names())
def test_every_optimizer_walks_downhill(name):
    spec = optim.get(name)
    e = Entrant(name, spec.usual_lr, (("weight_decay", spec.weight_decay), *spec.editable.items()))
    (rec,) = paths("valley", 10.0, (3.0, 1.0), 100, 0.0, [e], seed=0)
    assert rec["status"] == "done" and rec["loss"][-1] < rec["loss"][0]
    json.dumps(rec, allow_nan=False)


def test_noise_is_seeded_per_path():
    a1, b1 = paths("himmelblau", 1.0, (0.0, 0.0), 100, 0.5, [Entrant("sgd", 0.01), Entrant("adam", 0.05)], seed=3)
    (a2,) = paths("himmelblau", 1.0, (0.0, 0.0), 100, 0.5, [Entrant("sgd", 0.01)], seed=3)
    (a3,) = paths("himmelblau", 1.0, (0.0, 0.0), 100, 0.5, [Entrant("sgd", 0.01)], seed=4)
    assert a1["x"] == a2["x"] and a1["y"] == a2["y"]  # same seed, same path, whoever else ran
    assert a1["x"] != a3["x"]


# --- the presets' outcomes, measured ---

def test_saddle_ridge_traps_without_noise_and_momentum_escapes_first_with_it():
    # on y = 0 the gradient has no y part: without noise both walk straight into the saddle
    for rec in paths("saddle", 1.0, (1.5, 0.0), 300, 0.0, [SGD, MOMENTUM], seed=0):
        end = rec["end"]
        assert rec["status"] == "done" and math.hypot(end["x"], end["y"]) < 1e-6
        assert end["critical"] and end["verdict"] == curvature.SADDLE
    # the same noise kicks both off the ridge; y grows ×1.2 a step for SGD, ×1.5 with momentum
    sgd, mom = paths("saddle", 1.0, (1.5, 0.0), 300, 0.01, [SGD, MOMENTUM], seed=0)
    assert sgd["outcome"] == mom["outcome"] == "escaped"
    assert (sgd["escaped_at"], mom["escaped_at"]) == (63, 23)


def test_valley_gd_zigzags_momentum_and_adam_go_along():
    entrants = [Entrant("sgd", 0.019), Entrant("momentum", 0.01, (("momentum", 0.9),)), Entrant("adam", 0.5)]
    sgd, mom, adam = paths("valley", 100.0, (-9.0, 1.0), 400, 0.0, entrants, seed=0)
    assert _sign_flips(sgd["y"][:31]) == 30  # across the valley floor at every step
    assert _sign_flips(mom["y"][:31]) <= 10 and _sign_flips(adam["y"][:31]) <= 10
    reach = [_first_below(r, 1e-3) for r in (sgd, mom, adam)]
    assert reach == [277, 94, 97]


def test_two_minima_start_and_momentum_decide():
    good, poor = surfaces.get("two_minima").minima[0], surfaces.get("two_minima").local_minima[0]
    sgd = Entrant("sgd", 0.05)
    mom = Entrant("momentum", 0.02, (("momentum", 0.9),))

    def lands(rec: dict) -> str:
        end = rec["end"]
        assert end["critical"] and end["verdict"] == curvature.MINIMUM
        return "good" if abs(end["x"] - good[0]) < 1e-3 else "poor" if abs(end["x"] - poor[0]) < 1e-3 else "?"

    # either side of the ridge at x ≈ 0.075: nearby starts, different minima, for both optimizers
    for e in (sgd, mom):
        (right,), (left,) = (paths("two_minima", 1.0, s, 300, 0.0, [e], seed=0) for s in ((0.5, 1.2), (-0.5, 1.2)))
        assert (lands(right), lands(left)) == ("poor", "good")
    # one start on the poor side: SGD stops in the poor well, momentum's speed carries it over
    a, b = paths("two_minima", 1.0, (1.9, 1.0), 300, 0.0, [sgd, mom], seed=0)
    assert (lands(a), lands(b)) == ("poor", "good")
