"""The Learning-rate schedules page driven by AppTest: preview, range test with "use it", live training."""
import math

import pytest

from core import data, schedules
from core.labs.schedules.config import CHAPTER
from core.labs.schedules.presets import PRESETS
from tests.app.helpers import chart_data, csv_of, downloads, open_page

PAGE = "app_pages/schedules.py"


def _charts(at):
    return [chart_data(el) for el in at.get("vega_lite_chart")]


def test_the_preview_draws_pytorchs_curves_and_shows_the_stepping():
    at = open_page(PAGE)
    assert not at.exception
    at.multiselect(key="schedules.preview").set_value(["exponential", "onecycle"]).run()
    with downloads() as made:
        at.select_slider(key="schedules.batch_size").set_value(128).run()
    spe = math.ceil(len(data.load("digits", seed=0).train) / 128)  # the preview steps as training would
    assert any(f"{spe} batches per epoch (digits at batch size 128)" in c.value for c in at.caption)
    (preview,) = [c["preview"] for c in _charts(at) if "preview" in c]
    one = preview[preview.schedule == "1cycle"]["lr"].tolist()
    assert one == pytest.approx(schedules.curve("onecycle", base_lr=0.05, epochs=10, steps_per_epoch=spe))
    exp = preview[preview.schedule == "Exponential"]["lr"]
    assert len(exp) == 10 * spe and exp.nunique() == 10  # per epoch: a staircase of 10 steps
    # the preview as CSV (the chart's own rows) and its chart as PNG or SVG, at once: it is final as drawn
    assert [b.proto.label for b in at.get("download_button")][:3] == ["Download CSV", "PNG", "SVG"]
    csv = csv_of(made, "schedule-preview.csv")
    assert list(csv.columns) == ["schedule", "step", "epoch", "lr", "interval"] and len(csv) == len(preview)
    at.radio(key="schedules.settings/exponential/interval").set_value("batch").run()
    assert "exponential:interval=batch" in at.session_state["schedules.settings"]
    (preview,) = [c["preview"] for c in _charts(at) if "preview" in c]
    assert preview[preview.schedule == "Exponential"]["lr"].nunique() == 10 * spe  # per batch: smooth


def test_the_range_test_suggests_a_rate_and_use_it_carries_it_into_training():
    at = open_page(PAGE)
    at.slider(key="schedules.steps").set_value(40).run()
    at.button(key="lrf_job_run").click().run()
    job = at.session_state["lrf_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    assert not at.exception
    (finder,) = [c for c in _charts(at) if "points" in c]
    assert len(finder["points"]) >= 10 and set(finder["marks"]["label"]) == {"steepest descent", "minimum ÷ 10"}
    steepest = float(finder["marks"].set_index("label").loc["steepest descent", "lr"])
    at.button(key="lrf_1cycle_steepest").click().run()
    assert at.session_state["schedules.lr"] == pytest.approx(steepest, rel=0.05)
    assert "onecycle" in at.multiselect(key="schedules.schedules").value
    assert any("as 1cycle's max_lr" in s.value for s in at.success)


def test_schedules_train_live_with_the_learning_rate_above_the_loss():
    at = open_page(PAGE, schedules="constant,onecycle,plateau", epochs="2", depth="1", width="32")
    at.button(key="sched_job_run").click().run()
    job = at.session_state["sched_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    assert not at.exception
    board = at.dataframe[-1].value
    assert set(board["schedule"]) == {"Constant", "1cycle", "ReduceLROnPlateau"} and set(board["status"]) == {"done"}
    (race,) = [c["curves"] for c in _charts(at) if "curves" in c]
    assert set(race["metric"]) == {"learning rate", "train loss", "validation loss"}
    lr = race[race.metric == "learning rate"]
    assert lr[lr.schedule == "Constant"]["value"].eq(0.05).all()


def test_the_chapter_preset_and_a_bad_link_value():
    at = open_page(PAGE, epochs="500", optimizer="adam", lr="0.1", schedules="cosine")
    assert any("epochs must be 1..100" in w.value for w in at.warning) and not at.exception
    assert at.selectbox(key="schedules.optimizer").value == "adam" and at.select_slider(key="schedules.lr").value == 0.1
    at.selectbox(key="schedules/preset").set_value(next(iter(PRESETS))).run()
    assert at.multiselect(key="schedules.schedules").value == list(CHAPTER)
    assert at.selectbox(key="schedules.optimizer").value == "sgd" and at.select_slider(key="schedules.lr").value == 0.05
