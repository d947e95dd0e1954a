"""The Optimizer-race page driven by AppTest."""
import pytest
import torchvision.datasets as tvd

from core import data
from core.labs.optimizer_race.config import CLASSIC
from core.labs.optimizer_race.presets import CHAPTER
from tests.app.helpers import charts_by_title, open_page
from tests.unit.test_data_download import write_mnist

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
    assert {"epoch to 90%", "samples to 90%"} <= set(board.columns)
    (race_chart,) = [c for c in charts_by_title(at).values() if {"curves", "diverged"} <= set(c)]
    curves = race_chart["curves"]
    assert set(curves["entrant"]) == {"SGD", "Adam"} and curves["seeds"].max() == 2
    assert (curves["lo"] <= curves["mean"] + 1e-9).all() and (curves["mean"] <= curves["hi"] + 1e-9).all()


@pytest.mark.parametrize("fashion_cached,dataset", [(False, "digits"), (True, "fashion-mnist")])
def test_the_chapter_preset_sets_nine_optimizers_at_one_rate(tmp_path, monkeypatch, fashion_cached, dataset):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))  # Fashion-MNIST is cached there only when written
    if fashion_cached:
        write_mnist(tmp_path, cls=tvd.FashionMNIST)
    assert data.is_cached("fashion-mnist") is fashion_cached
    at = open_page(PAGE)
    at.selectbox(key="optimizer_race/preset").set_value(CHAPTER.title).run()
    assert not at.exception
    assert at.multiselect(key="optimizer_race.optimizers").value == list(CLASSIC)
    assert at.radio(key="optimizer_race.lr_mode").value == "same"
    assert at.select_slider(key="optimizer_race.lr").value == 0.05
    assert at.selectbox(key="shared.dataset").value == dataset
    assert at.session_state["optimizer_race.settings"] == ["adamw:weight_decay=1e-05"] == list(CHAPTER.settings["settings"])
    assert at.number_input(key="optimizer_race.settings/adamw/weight_decay").value == 1e-05
    assert "9 models, trained in one vectorized pass." in [c.value for c in at.caption]
    assert CHAPTER.description in [c.value for c in at.caption]
    assert at.selectbox(key="optimizer_race/preset").value == CHAPTER.title


def test_batch_norm_switches_to_the_sequential_path_and_says_so():
    at = open_page(PAGE, optimizers="sgd")
    at.selectbox(key="optimizer_race.norm").set_value("batchnorm_before").run()
    assert any("one after another" in c.value for c in at.caption)


def test_a_bad_setting_or_url_value_gives_a_message():
    at = open_page(PAGE, seeds="50", optimizers="sgd,adam", settings="adam:betas=0.9")
    text = " ".join(w.value for w in at.warning)
    assert "Ignored seeds='50' from the link: seeds must be 1..10, got 50" in text and not at.exception
    assert "Ignored settings='adam:betas=0.9' from the link: setting 'adam:betas=0.9': betas needs 2 numbers" in text
    assert at.multiselect(key="optimizer_race.optimizers").value == ["sgd", "adam"]
    assert at.slider(key="optimizer_race.seeds").value == 1
    assert [t.label for t in at.tabs] == ["SGD", "Adam"]  # the settings editor: one tab per optimizer
    betas = at.text_input(key="optimizer_race.settings/adam/betas")
    assert betas.value == "0.9;0.999"
    betas.set_value("0.9").run()
    assert "betas needs 2 numbers written like 0.9;0.999" in " ".join(w.value for w in at.warning)
    assert not at.exception
