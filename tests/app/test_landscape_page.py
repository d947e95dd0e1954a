"""The Loss-landscape page driven by AppTest: the arena (numbers for the start, a click on the
chart, replay, readings), then a trained network and its four views."""
from core import curvature
from core.labs.landscape import tables
from core.labs.landscape.charts import START
from tests.app.helpers import charts_by_title, csv_of, download_labels, downloads, open_page, settle

PAGE = "app_pages/landscape.py"
ARENA = "The surface, its contour lines and the paths (click to set the start)"


def test_the_arena_takes_its_start_from_numbers_and_from_a_click_and_replays():
    with downloads() as made:
        at = open_page(PAGE, surface="saddle", x0="1.5", y0="0.0", steps="300", optimizers="sgd,momentum", rate="0.1")
        settle(at, "arena_job")
    assert not at.exception and not at.warning
    # the paths are final: every step of both as CSV, both charts as PNG and SVG, and no script (not a training run)
    assert download_labels(at) == ["Download CSV", *["PNG", "SVG"] * 2]
    assert any(c.value.startswith("No standalone script for this view") for c in at.caption)
    paths = csv_of(made, "landscape-arena.csv")
    assert list(paths.columns) == ["run", "step", "x", "y", "loss", "grad_norm"] and len(paths) == 2 * 301
    assert len(tables.table(at.session_state["arena_job"].snapshot())) == len(paths)
    assert at.number_input(key="landscape.x0").value == 1.5 and at.number_input(key="landscape.y0").value == 0.0
    readings = at.dataframe[0].value.set_index("optimizer")
    assert list(readings.index) == ["SGD", "SGD + momentum"]
    assert set(readings["verdict"]) == {curvature.SADDLE} and set(readings["minimum ratio"]) == {0.5}
    assert any("|λ| ≤ 0.0001 × the largest |λ|" in c.value for c in at.caption)  # the tolerance, stated
    charts = charts_by_title(at)
    assert set(charts[ARENA]["paths"]["run"]) == {"SGD", "SGD + momentum"} and len(charts[ARENA]["contours"]) > 100

    replay = at.slider(key=f"landscape/replay/{at.session_state['arena_job'].id}")
    assert replay.value == 300
    replay.set_value(10).run()
    charts = charts_by_title(at)
    assert charts[ARENA]["paths"]["step"].max() == 10 and set(charts[ARENA]["heads"]["outcome"]) == {"moving"}
    assert charts["Loss at every step"]["now"]["step"].tolist() == [10]

    at.number_input(key="landscape.y0").set_value(0.5).run()  # typed: off the ridge, both escape
    settle(at, "arena_job")
    assert set(at.dataframe[0].value["ended"].str.startswith("escaped the box")) == {True}

    # a click on the chart: the selection Vega-Lite sends back, as a browser's click does
    at.session_state["landscape/click"] = {"selection": {START: [{"x": -1.0, "y": 0.0}]}}
    at.run()
    settle(at, "arena_job")
    assert (at.number_input(key="landscape.x0").value, at.number_input(key="landscape.y0").value) == (-1.0, 0.0)
    assert (at.query_params["x0"], at.query_params["y0"]) == ("-1.0", "0.0")


def test_a_start_outside_the_box_is_explained_and_the_valley_offers_its_condition_number():
    at = open_page(PAGE, surface="valley", x0="-9.0", y0="1.0")
    settle(at, "arena_job")
    assert at.select_slider(key="landscape.condition").value == 50.0
    at.selectbox(key="landscape.surface").set_value("saddle").run()  # x0 = -9 lies outside the saddle's ±2
    assert not at.exception
    assert any("outside the saddle surface's box x -2..2" in w.value for w in at.warning)


def test_training_then_the_four_views():
    at = open_page(PAGE, dataset="moons", depth="2", width="16", epochs="4", steps="10", resolution="11")
    settle(at, "arena_job")
    assert any("Train first" in c.value for c in at.caption)
    at.button(key="landscape_job_run").click().run()
    assert at.session_state["landscape_job"].wait(60)
    at.run()
    assert not at.exception
    with downloads() as made:
        for name in ("path", "slices", "spectrum", "stuck"):
            at.button(key=f"landscape_{name}_job_run").click().run()
            settle(at, f"landscape_{name}_job", timeout=120)
    assert not at.exception and not at.error
    # every view final: its table as CSV beside its charts (the arena's, the training's and the four views')
    assert download_labels(at).count("Download CSV") == 6
    columns = {"path": ["split", "alpha", "loss", "accuracy"],
               "slices": ["plane", "point", "epoch", "a", "b", "loss", "accuracy"],
               "spectrum": ["checkpoint", "epoch", "method", "eigenvalue", "density"],
               "stuck": ["epoch", "loss", "gradient norm", "stalled"]}
    for name, cols in columns.items():
        assert list(csv_of(made, f"landscape-{name}.csv").columns) == cols, name
    slices = csv_of(made, "landscape-slices.csv")
    assert (slices["point"] == "grid").sum() == 2 * 11 * 11 and (slices["point"] == "checkpoint").sum() == 5
    stuck = tables.stuck_table(at.session_state["landscape_stuck_job"].snapshot())
    assert len(csv_of(made, "landscape-stuck.csv")) == len(stuck) == 5  # the checkpoints of epochs 0..4
    charts = charts_by_title(at)
    path = charts["Loss along the straight line from the initial to the trained weights"]["path"]
    assert set(path["split"]) == {"train", "validation"} and path["alpha"].min() == -0.5 and path["alpha"].max() == 1.5
    random = charts["Around the trained weights: two random directions"]
    assert len(random["cells"]) == 11 * 11 and len(random["contours"]) > 0
    trajectory = charts["The training trajectory on its own plane"]
    assert len(trajectory["path"]) == 5 and trajectory["path"].iloc[-1][["x", "y"]].tolist() == [0.0, 0.0]
    spectrum = charts["Hessian spectrum (exact), as a histogram"]
    assert set(spectrum["density"]["checkpoint"]) == {"initial weights", "epoch 4"}  # at = 2: first and last
    readings = at.dataframe[-1].value
    assert list(readings["ratio is"]) == ["exact", "exact"] and readings["minimum ratio"].between(0, 1).all()
    assert "Is it really stuck? Shaded: the loss stopped improving while the gradient stayed large" in charts
    assert any("Shaded where the loss fell by less than 1% per epoch" in m.value for m in at.markdown)
