"""The Optimizer-race page driven by AppTest."""
from core.experiments import optimizer_race as R
from tests.app.helpers import charts_by_title, open_page

PAGE = "app_pages/race.py"


def test_a_race_fills_the_leaderboard_and_the_curves():
    at = open_page(PAGE, optimizers="sgd,adam", epochs="2", seeds="2", depth="2")
    assert not at.exception and "4 models, trained in one vectorized pass." in [c.value for c in at.caption]
    at.button(key="race_job_run").click().run()
    job = at.session_state["race_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    assert not at.exception
    board = at.dataframe[-1].value
    assert set(board["optimizer"]) == {"SGD", "Adam"} and set(board["status"]) == {"done"}
    (race_chart,) = [c for c in charts_by_title(at).values() if {"curves", "diverged"} <= set(c)]
    curves = race_chart["curves"]
    assert set(curves["entrant"]) == {"SGD", "Adam"} and curves["seeds"].max() == 2
    assert (curves["lo"] <= curves["mean"] + 1e-9).all() and (curves["mean"] <= curves["hi"] + 1e-9).all()


def test_the_chapter_preset_sets_nine_optimizers_at_one_rate():
    at = open_page(PAGE)
    at.button(key="race_chapter_btn").click().run()
    assert at.multiselect(key="race_opts").value == list(R.CLASSIC)
    assert at.radio(key="race_lr_mode").value == "same" and at.select_slider(key="race_lr").value == 0.05
    assert at.selectbox(key="dataset").value in ("digits", "fashion-mnist")
    assert "9 models, trained in one vectorized pass." in [c.value for c in at.caption]


def test_batch_norm_switches_to_the_sequential_path_and_says_so():
    at = open_page(PAGE, optimizers="sgd")
    at.selectbox(key="race_norm").set_value("batchnorm_before").run()
    assert any("one after another" in c.value for c in at.caption)


def test_a_bad_setting_or_url_value_gives_a_message():
    at = open_page(PAGE, seeds="50", optimizers="sgd,adam")
    assert "seeds must be 1..10" in " ".join(w.value for w in at.warning) and not at.exception
    editor = at.dataframe[0]  # the settings editor
    assert "betas" in editor.value["setting"].tolist()
