"""The Deep-nets page driven by AppTest: runs join the session's table, ticked runs overlay,
decision boundaries on a 2-D set."""
from tests.app.helpers import charts_by_title, open_page

PAGE = "app_pages/deepnet.py"
TINY = dict(depth="3", width="16", epochs="2")


def _train(at):
    at.button(key="deepnet_job_run").click().run()
    job = at.session_state["deepnet_job"]
    assert job.wait(60) and job.status == "done", job.error
    at.run()
    assert not at.exception
    return job


def test_runs_of_two_jobs_share_the_table_and_ticks_choose_the_overlay():
    at = open_page(PAGE, runs="plain,relu/he_normal/wd=0.01", **TINY)
    assert not at.exception and not at.warning
    _train(at)
    table = at.dataframe[0].value
    assert list(table["run"]) == ["plain: Swish + He", "ReLU + He normal, L2 decay 0.01"]
    assert set(table["status"]) == {"done"} and table["show"].all()
    # the records as CSV, and, the job having ended, each chart as PNG and SVG
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV", *["PNG", "SVG"] * 3, "Get the code"]
    charts = charts_by_title(at)
    weights = charts["Weights per layer at the latest report"]["layers"]
    assert set(weights["run"]) == set(table["run"]) and weights["layer"].max() == 4

    # a second job with another configuration joins the same table; the curves overlay all three
    at.multiselect(key="deepnet.runs").set_value(["bn"]).run()
    _train(at)
    table = at.dataframe[0].value
    assert list(table["run"])[-1] == "+ batch norm" and len(table) == 3
    curves = next(d["curves"] for d in charts_by_title(at).values() if "curves" in d)
    assert set(curves["run"]) == set(table["run"])

    # untick all but the last run: the charts leave them out
    at.session_state["_runs"].show("deepnet", {"+ batch norm"})
    at.run()
    assert list(at.dataframe[0].value["show"]) == [False, False, True]
    curves = next(d["curves"] for d in charts_by_title(at).values() if "curves" in d)
    assert set(curves["run"]) == {"+ batch norm"}


def test_a_2d_set_draws_each_runs_decision_boundary():
    at = open_page(PAGE, dataset="moons", size="200", noise="0.3", runs="plain,relu/he_normal/dropout=0.2", **TINY)
    assert not at.exception and at.number_input or at.select_slider  # size and noise are offered
    job = _train(at)
    charts = charts_by_title(at)
    title = "Decision boundaries, train points on top"
    grid, points = charts[title]["grid"], charts[title]["points"]
    assert set(grid["run"]) == {"plain: Swish + He", "ReLU + He normal, dropout 0.2"}
    assert len(grid) == 2 * 40 * 40 and grid["p"].between(0, 1).all()
    assert set(points["cls"]) == {0, 1} and set(points["run"]) == set(grid["run"])
    assert job.artifact("grid/plain: Swish + He")["p"].shape == (1600,)
