"""The learning-rate sweep's page driven by AppTest: a small sweep fills the leaderboard and the
chart, its best rates start the race, where it runs is said, bad values get a message."""
import pytest

from core import cluster, sweep
from core.labs.lr_sweep import tables
from tests.app.helpers import charts_by_title, open_page

PAGE = "app_pages/sweep.py"
SMALL = dict(optimizers="sgd,adam", lr_lo="0.001", lr_hi="1.0", points="5", seeds="2", epochs="2", depth="1",
             width="16")


def test_a_sweep_fills_the_leaderboard_and_the_chart_and_its_best_rates_start_the_race(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV, raising=False)
    at = open_page(PAGE, **SMALL)
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("20 cells: 2 optimizers × 5 rates × 2 seeds") for c in captions)
    assert any("Sweeps run in this process" in c for c in captions)
    at.button(key="sweep_job_run").click().run()
    job = at.session_state["sweep_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    assert not at.exception
    assert any(c.value.startswith("20 of 20 cells ended, in this process") for c in at.caption)
    board = at.dataframe[-1].value
    assert list(board["optimizer"]) == list(tables.leaderboard(job.snapshot())["optimizer"])
    assert set(board["optimizer"]) == {"SGD", "Adam"} and (board["cells ended"] == 10).all()
    (drawn,) = [c for c in charts_by_title(at).values() if {"curves", "best"} <= set(c)]
    assert set(drawn["curves"]["optimizer"]) == {"SGD", "Adam"} and len(drawn["curves"]) == 10
    assert (drawn["curves"]["lo"] <= drawn["curves"]["mean"] + 1e-9).all()
    best = drawn["best"].set_index("optimizer")
    for _, row in board.iterrows():  # the markers sit at the leaderboard's best rates
        assert best.loc[row["optimizer"], "lr"] == row["best rate"]
    at.button[-1].click().run()  # "Race them at their best rates"
    race = at.session_state["race_job"]
    rates = tables.best_rates(job.snapshot())
    assert race.config.optimizers == ("sgd", "adam") and race.config.epochs == 2 and race.config.seeds == 2
    assert [e.lr for e in race.config.entrants()] == [rates["sgd"], rates["adam"]]
    assert race.wait(120) and race.status == "done"


def test_the_loss_view_draws_the_same_cells(monkeypatch):
    at = open_page(PAGE, **SMALL, metric="loss", band="std")
    at.button(key="sweep_job_run").click().run()
    assert at.session_state["sweep_job"].wait(120)
    at.run()
    (drawn,) = [c for c in charts_by_title(at).values() if {"curves", "best"} <= set(c)]
    assert not at.exception and (drawn["curves"]["mean"] > 0).all()


def test_a_server_that_allows_it_offers_a_local_ray_instance(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV, raising=False)
    monkeypatch.setenv(cluster.LOCAL_ENV, "1")
    at = open_page(PAGE)
    offered = [b for b in at.button if b.label == "Start local Ray"]
    assert bool(offered) == cluster.installed() and not cluster.connected()


@pytest.mark.parametrize("params,message", [
    ({"lr_lo": "1.0", "lr_hi": "0.001"}, "0 < lo < hi"),
    ({"points": "40"}, "points must be 5..25"),
    ({"optimizers": "sophia"}, "Sophia-H needs a second-order backward"),
])
def test_a_bad_link_value_gives_a_message(params, message):
    at = open_page(PAGE, **params)
    text = " ".join(w.value for w in at.warning)
    assert "from the link" in text and message in text and not at.exception


def test_a_sweep_over_the_servers_limits_is_refused_with_a_message(monkeypatch):
    monkeypatch.setenv(sweep.CELLS_ENV, "100")
    at = open_page(PAGE, optimizers="sgd,adam", points="25", seeds="5")  # 250 cells
    assert not at.exception
    assert any("250 cells; this server takes at most 100" in w.value for w in at.warning)
    at.slider(key="lr_sweep.seeds").set_value(3).run()  # 150 cells, set on the page
    assert not at.exception and at.button(key="sweep_job_run").disabled
    assert "this server takes at most 100" in at.button(key="sweep_job_run").help


def test_a_sweep_is_kept_in_the_history_and_opens_again_in_its_lab(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV, raising=False)
    at = open_page(PAGE, **{**SMALL, "points": "5", "seeds": "1", "epochs": "1"})
    at.button(key="sweep_job_run").click().run()
    job = at.session_state["sweep_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    at.switch_page("app_pages/history.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["lab"]) == ["🧭 Learning-rate sweep"] and "SGD:" in table["key result"].iloc[0]
    at.multiselect(key="history.pick").set_value([1]).run()  # nothing to overlay: no learning curves
    assert not at.exception
    at.button(key="history.open.1").click().run()
    assert not at.exception and at.session_state["sweep_job"] is job
    assert any(c.value.startswith("10 of 10 cells ended") for c in at.caption)


def test_limits_set_below_the_default_sweep_keep_the_page_working(monkeypatch):
    monkeypatch.setenv(sweep.CELLS_ENV, "10")
    monkeypatch.setenv(sweep.CELL_EPOCHS_ENV, "10")
    at = open_page(PAGE)
    assert not at.exception and sweep.limits() == sweep.FLOOR
    assert any("this server takes up to 100 cells and 500 cell-epochs" in c.value for c in at.caption)
