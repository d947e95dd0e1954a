"""Learning-rate sweeps (core/sweep.py): the grid and its limits, the good region against hand
computed crossings, and a sweep's cells against the race engine, whatever the chunking."""
import math

import pytest

from core import data, sweep
from core.models import MLPSpec

SPEC = MLPSpec(depth=1, width=16, activation="relu", init="he_normal")


def test_the_grid_is_log_spaced_with_both_ends_and_refuses_what_it_cannot_do():
    grid = sweep.Grid(("sgd", "adam"), 1e-4, 1.0, 5, (0, 1))
    assert grid.rates() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert grid.cells == 20 and [e.name for e in grid.entrants()][:2] == ["SGD @ 0.0001", "SGD @ 0.001"]
    for kw, match in [({"points": 4}, "points"), ({"lo": 1.0}, "lo < hi"), ({"optimizers": ("sophia",)}, "second-order"),
                      ({"optimizers": ("sgd", "sgd")}, "once"), ({"seeds": tuple(range(100)), "points": 25,
                                                                  "optimizers": ("sgd", "adam")}, "at most")]:
        with pytest.raises(ValueError, match=match):
            sweep.Grid(**{**dict(optimizers=("sgd",), lo=1e-3, hi=1.0, points=5, seeds=(0,)), **kw})


def test_the_good_region_ends_where_the_mean_crosses_a_point_below_the_best():
    x = [-4.0, -3.0, -2.0, -1.0, 0.0]
    r = sweep.good_region(x, [0.50, 0.90, 0.95, 0.945, 0.60])
    # left: between -3 (0.90) and -2 (0.95), the crossing of 0.94 is 4/5 of the way from -2 toward -3
    # right: -1 (0.945) is inside; between -1 and 0 (0.60), 0.94 is crossed 0.005/0.345 of the way
    assert r.best == 2 and r.best_mean == 0.95 and not r.at_edge
    assert r.left == pytest.approx(-2 - 0.01 / 0.05) and r.right == pytest.approx(-1 + 0.005 / 0.345)
    assert r.width == pytest.approx(r.right - r.left)
    edge = sweep.good_region(x, [0.95, 0.95, 0.2, None, float("nan")])  # a flat start: a lower bound
    assert edge.at_edge and edge.left == -4.0 and edge.right == pytest.approx(-3 + 0.01 / 0.75)
    failed = sweep.good_region(x, [None, 0.9, None, None, None])  # failed rates count as 0
    assert failed.best == 1 and failed.width == pytest.approx(2 * 0.01 / 0.9)


def test_cells_are_the_race_engines_whatever_the_chunking():
    d = data.load("digits", seed=0, size=300)
    grid = sweep.Grid(("sgd", "adam"), 1e-3, 1.0, 5, (0, 1))
    whole = {(c["optimizer"], c["lr"], c["seed"]): c
             for c in sweep.finals(list(sweep.run(d, SPEC, grid, epochs=2, max_models=100)))}
    split = {(c["optimizer"], c["lr"], c["seed"]): c
             for c in sweep.finals(list(sweep.run(d, SPEC, grid, epochs=2, max_models=3)))}
    assert len(whole) == len(split) == grid.cells and len(sweep.chunks(grid.entrants(), 2, 3)) == 10
    for key, cell in whole.items():
        assert cell["status"] in ("done", "diverged")
        if cell["status"] == "done":
            assert split[key]["val_loss"] == pytest.approx(cell["val_loss"], rel=1e-4), key
    sgd = [whole[("sgd", lr, 0)]["val_acc"] or 0 for lr in grid.rates()]
    assert sgd[-2] > sgd[0]  # SGD learns more in two epochs at 0.18 than at 0.001
    assert math.isclose(max(c["progress"] for c in whole.values()), 1.0)
    assert all(c["epoch"] == 2 for c in whole.values() if c["status"] == "done")


def test_a_stopped_sweep_ends_its_chunk_and_trains_no_other():
    d = data.load("digits", seed=0, size=300)
    grid = sweep.Grid(("sgd", "adam"), 1e-3, 1.0, 5, (0,))
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    cells = sweep.finals(list(sweep.run(d, SPEC, grid, epochs=2, max_models=2, stop=stop)))
    assert len(cells) <= 2 and all(c["status"] == "cancelled" for c in cells)


def test_the_leaderboard_takes_the_mean_over_seeds_and_counts_failed_cells_as_zero():
    cells = [{"kind": "cell", "optimizer": o, "lr": lr, "seed": s, "status": st, "val_acc": acc}
             for o, lr, s, st, acc in [("sgd", 0.01, 0, "done", 0.8), ("sgd", 0.01, 1, "done", 0.9),
                                       ("sgd", 0.1, 0, "done", 0.95), ("sgd", 0.1, 1, "diverged", 0.99),
                                       ("sgd", 1.0, 0, "done", 0.5), ("sgd", 1.0, 1, "done", 0.5),
                                       ("adam", 0.01, 0, "done", 0.9), ("adam", 0.01, 1, "done", 0.9),
                                       ("adam", 0.1, 0, "done", 0.4), ("adam", 0.1, 1, "done", 0.4),
                                       ("adam", 1.0, 0, "cancelled", None), ("adam", 1.0, 1, "done", 0.2)]]
    t = sweep.table(cells).set_index(["optimizer", "lr"])
    assert t.loc[("sgd", 0.1), "mean"] == pytest.approx(0.475) and t.loc[("sgd", 0.1), "failed"] == 1
    assert t.loc[("sgd", 0.01), "mean"] == pytest.approx(0.85) and t.loc[("adam", 1.0), "mean"] == pytest.approx(0.1)
    board = sweep.leaderboard(cells).set_index("optimizer")
    assert list(board.index) == ["adam", "sgd"]  # 0.9 beats 0.85
    assert board.loc["adam", "best lr"] == 0.01 and board.loc["adam", "at the grid's edge"]
    # sgd: best 0.85 at 0.01 (the grid's low end); 0.84 is crossed 0.01/0.375 of the way to 0.1
    assert board.loc["sgd", "width (decades)"] == pytest.approx(0.01 / 0.375)


def test_an_optimizer_whose_every_cell_failed_has_no_best_rate_and_says_so():
    from core.labs.lr_sweep import tables

    cells = [{"kind": "cell", "optimizer": o, "lr": lr, "seed": 0, "status": st, "val_acc": acc, "val_loss": 0.5}
             for o, lr, st, acc in [("sgd", 0.01, "done", 0.9), ("sgd", 0.1, "done", 0.8),
                                    ("adam", 0.01, "diverged", None), ("adam", 0.1, "failed", None)]]
    board = sweep.leaderboard(cells).set_index("optimizer")
    assert math.isnan(board.loc["adam", "best lr"]) and math.isnan(board.loc["adam", "width (decades)"])
    assert tables.best_rates(cells) == {"sgd": 0.01} and list(tables.markers(cells)["optimizer"]) == ["SGD"]
    assert tables.headline(cells).endswith("Adam: every cell failed")
