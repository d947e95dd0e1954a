"""The Initialization-variance page driven by AppTest."""
from streamlit.testing.v1 import AppTest

from core.labs.variance import tables
from tests.app.helpers import charts_by_title, csv_of, download_labels, downloads, open_page, settle

PAGE = "app_pages/variance.py"


def page(**params) -> AppTest:
    """The page with the measurement it starts by itself finished and drawn."""
    at = open_page(PAGE, **params)
    settle(at, "variance_job")
    return at


def test_renders_every_chart_and_a_summary_per_pair():
    with downloads() as made:
        at = page(depth="12", seeds="1")
    assert not at.exception and not at.warning
    # the measurement is final: its table as CSV, its five charts as PNG and SVG, and no script (not a training run)
    assert download_labels(at) == ["Download CSV", *["PNG", "SVG"] * 5]
    assert any(c.value.startswith("No standalone script for this view") for c in at.caption)
    csv = csv_of(made, "variance-measurement.csv")
    direct = tables.table(at.session_state["variance_job"].snapshot())
    assert list(csv.columns) == list(direct.columns) and len(csv) == len(direct) == 4 * 12
    assert {"combo", "layer", "act_std", "grad_std", "forward_gain", "forward_theory", "backward_gain"} <= set(csv.columns)
    titles = set(charts_by_title(at))
    assert {"Forward: spread of activations", "Backward: spread of gradients",
            "Forward gain per layer, layer l → l+1", "Backward gain per layer, layer l+1 → l"} <= titles
    summaries = [m.value for m in at.markdown if m.value.startswith("**") and "mean square" in m.value]
    assert len(summaries) == 4  # 2 activations × 2 initializers


def test_moving_the_depth_slider_changes_the_data():
    at = page(depth="10", seeds="1")
    before = charts_by_title(at)["Forward: spread of activations"]["spread"]
    at.slider(key="variance.depth").set_value(30).run()
    settle(at, "variance_job")  # a new depth, a new measurement
    after = charts_by_title(at)["Forward: spread of activations"]["spread"]
    assert before.layer.max() == 10 and after.layer.max() == 30


def test_applying_a_preset_sets_the_widgets():
    at = page(seeds="1")
    at.selectbox(key="variance/preset").set_value("ReLU: Glorot against He").run()
    assert at.multiselect(key="variance.activations").value == ["relu"]
    assert at.multiselect(key="variance.inits").value == ["glorot_normal", "he_normal"]
    settle(at, "variance_job")
    spread = charts_by_title(at)["Forward: spread of activations"]["spread"]
    assert set(spread.combo) == {"ReLU + Glorot normal", "ReLU + He normal"}


def test_bad_url_values_are_ignored_with_a_message():
    at = page(depth="0", activations="relu,swishy")
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "depth must be 1..100" in text and "swishy" in text
    assert at.slider(key="variance.depth").value == 50
    assert charts_by_title(at)["Forward: spread of activations"]["spread"].layer.max() == 50


def test_train_it_runs_the_pairs_live():
    at = page(depth="4", seeds="1", activations="relu", inits="he_normal,naive")
    at.slider(key="variance.train_epochs").set_value(2).run()
    at.button(key="variance_train_job_run").click().run()
    job = at.session_state["variance_train_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    verdicts = [m.value for m in at.markdown if m.value.startswith("**ReLU + He") and "Validation accuracy" in m.value]
    assert len(verdicts) == 1 and "it learns" in verdicts[0]
    assert "Accuracy" in str([el.proto.spec for el in at.get("vega_lite_chart")])
