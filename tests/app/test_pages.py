"""Every page driven by Streamlit's AppTest: renders, runs, stops, survives bad input."""
import urllib.error
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import data, jobs, labs

ROOT = Path(__file__).resolve().parents[2]
VANISHING = "app_pages/vanishing.py"


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def charts(at: AppTest):
    return at.get("vega_lite_chart")


def wait_job(at: AppTest, key: str = "vanishing_job", timeout: float = 120) -> jobs.Job:
    job = at.session_state[key]
    assert job.wait(timeout), f"job still {job.status}"
    at.run()
    return job


def test_home_lists_the_labs_device_and_datasets():
    at = app().run()
    assert not at.exception
    assert "CPU" in " ".join(m.value for m in at.markdown)
    links = at.get("page_link")
    registry = labs.all_labs()
    assert [link.proto.page for link in links] == [lab.url_path for lab in registry]  # every lab, in order
    for link, lab in zip(links, registry):
        assert lab.title in link.label, (lab.name, link.label)
    assert len(at.dataframe) == 1
    assert at.dataframe[0].value["dataset"].tolist() == [data.DATASETS.get(n).label for n in data.names()]


def test_vanishing_page_runs_and_draws_every_chart():
    at = app()
    at.query_params.update({"depth": "6", "epochs": "2", "runs": "sigmoid-glorot,relu-he"})
    at.switch_page(VANISHING).run()
    assert not at.exception and not at.warning
    assert at.slider(key="vanishing.depth").value == 6
    assert not charts(at)  # nothing before Run
    at.button(key="vanishing_job_run").click().run()
    job = wait_job(at)
    assert job.status == "done" and not at.exception
    verdicts = [m.value for m in at.markdown if "**sigmoid + Glorot**" in m.value or "**ReLU + He**" in m.value]
    assert len(verdicts) == 2 and "learns" in verdicts[1]
    assert len(charts(at)) == 4  # curves, per-layer profile, heatmap, saturation (sigmoid is bounded)
    assert at.success[0].value.startswith("Finished at ")


def test_moving_a_slider_keeps_the_run_and_stop_ends_it():
    at = app()
    at.query_params.update({"depth": "30", "epochs": "100", "runs": "relu-he"})
    at.switch_page(VANISHING).run()
    at.button(key="vanishing_job_run").click().run()
    job = at.session_state["vanishing_job"]
    at.slider(key="vanishing.depth").set_value(10).run()
    assert at.session_state["vanishing_job"] is job and job.status in ("queued", "running")
    at.button(key="vanishing_job_stop").click().run()
    assert job.wait(2) and job.status == "cancelled"
    at.run()
    assert "Stopped" in at.info[0].value and not at.exception


def test_out_of_range_url_values_are_ignored_with_a_message():
    at = app()
    at.query_params.update({"depth": "500", "lr": "abc", "runs": "relu/unknown_init", "epochs": "3"})
    at.switch_page(VANISHING).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Ignored depth='500' from the link: depth must be 1..100, got 500" in warnings
    assert "Ignored lr='abc' from the link: lr must be a finite number, got 'abc'" in warnings
    assert "Ignored runs='relu/unknown_init' from the link: unknown initializer 'unknown_init'; valid names" in warnings
    assert at.slider(key="vanishing.depth").value == 20 and at.slider(key="vanishing.epochs").value == 3


def test_no_configuration_disables_run():
    at = app().switch_page(VANISHING).run()
    at.multiselect(key="vanishing.runs").set_value([]).run()
    assert at.button(key="vanishing_job_run").disabled
    assert "Pick at least one configuration." in [w.value for w in at.warning]


def test_adding_a_custom_configuration():
    at = app().switch_page(VANISHING).run()
    at.selectbox(key="vanishing.add.activation").set_value("gelu")
    at.selectbox(key="vanishing.add.init").set_value("he_uniform")
    at.selectbox(key="vanishing.add.norm").set_value("layernorm").run()
    at.button(key="vanishing.add").click().run()
    assert "gelu/he_uniform/norm=layernorm" in at.multiselect(key="vanishing.runs").value
    assert not at.exception


def test_a_dataset_that_cannot_download_fails_clearly_and_digits_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    at = app()
    at.query_params.update({"depth": "3", "epochs": "1", "runs": "relu-he"})
    at.switch_page(VANISHING).run()
    at.selectbox(key="shared.dataset").set_value("fashion-mnist").run()
    at.button(key="vanishing_job_run").click().run()
    job = wait_job(at)
    assert job.status == "failed"
    message = at.error[0].value
    assert "Fashion-MNIST is not cached" in message and "digits" in message and str(tmp_path) in message
    at.selectbox(key="shared.dataset").set_value("digits").run()
    at.button(key="vanishing_job_run").click().run()
    assert wait_job(at).status == "done" and not at.exception
