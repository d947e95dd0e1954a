"""The Dropout-and-uncertainty page driven by AppTest: train, then the MC view."""
from core.labs.dropout import analysis as A
from tests.app.helpers import charts_by_title, csv_of, download_labels, downloads, open_page, settle

PAGE = "app_pages/dropout.py"


def test_training_then_the_mc_view_images_out_of_distribution_and_calibration():
    at = open_page(PAGE, rates="0,0.5", epochs="3", train_size="100", width="64")
    assert not at.exception and not at.warning
    assert at.multiselect(key="dropout.rates").value == [0.0, 0.5]
    assert any("Train first" in c.value for c in at.caption) and not at.get("vega_lite_chart")
    at.button(key="dropout_job_run").click().run()
    job = at.session_state["dropout_job"]
    assert job.wait(60) and job.status == "done"
    with downloads() as made:
        at.run()
        settle(at, "mc_job")  # the MC passes start by themselves once training has finished
    assert not at.exception and at.success[0].value.startswith("Finished at ")
    charts = charts_by_title(at)
    gaps = charts["Generalization gap (train split measured with dropout off)"]["gaps"]
    assert set(gaps["run"]) == {"no dropout", "dropout 0.5"} and gaps["epoch"].max() == 3
    summary = at.dataframe[0].value
    assert list(summary["run"]) == ["no dropout", "dropout 0.5"] and set(summary["status"]) == {"done"}

    # the MC view opens on the highest rate, with T = 100
    assert at.selectbox(key="dropout.inspect").value == 0.5 and at.select_slider(key="dropout.passes").value == 100
    assert at.selectbox(key="dropout.inspect").options == ["dropout 0.5", "no dropout"]
    assert [t.label for t in at.tabs] == ["Images", "Out of distribution", "Calibration"]
    assert len(at.multiselect(key="dropout.pick.entropy.dropout 0.5.100").value) == 3
    probs = [c for c in at.get("vega_lite_chart") if "Class probabilities" in c.proto.spec]
    assert len(probs) == 3
    ood = charts["Uncertainty per input (dashed: ln C, the entropy of a uniform guess)"]["ood"]
    assert {"test images", "uniform noise", "shuffled pixels"} <= set(ood["source"])
    bins = charts["Reliability diagrams (dashed: perfect calibration)"]["bins"]
    assert set(bins["estimate"]) == {"deterministic", "MC dropout"}
    assert [m.label for m in at.metric][:2] == ["Accuracy, deterministic", "Accuracy, MC mean of 100"]
    # the MC view's export, after the training's: one row per image as CSV, its five charts, and no script
    labels = download_labels(at)
    assert labels.count("Download CSV") == 2 and labels[-11:] == ["Download CSV", *["PNG", "SVG"] * 5]
    assert any(c.value.startswith("No standalone script for this view") for c in at.caption)
    images = csv_of(made, "dropout-mc.csv")
    direct = A.image_table(at.session_state["mc_job"].artifact("analysis"))
    assert list(images.columns) == list(direct.columns) and len(images) == len(direct)
    assert {"true class", "prediction, MC mean", "predictive entropy, MC (nats)",
            "mutual information, MC (nats, epistemic)"} <= set(images.columns)
    assert set(images["passes"]) == {100} and images.loc[images["source"] == "uniform noise", "true class"].isna().all()

    at.select_slider(key="dropout.passes").set_value(10).run()
    settle(at, "mc_job")
    at.radio(key="dropout.gallery").set_value("uniform noise").run()
    assert not at.exception and at.metric[1].label == "Accuracy, MC mean of 10"
    assert len(at.multiselect(key="dropout.pick.uniform noise").value) == 3
    at.selectbox(key="dropout.inspect").set_value(0.0).run()
    settle(at, "mc_job")
    assert not at.exception and any("has no dropout" in i.value for i in at.info)


def test_bad_link_values_are_ignored_with_a_message_and_alpha_dropout_explains_itself():
    at = open_page(PAGE, rates="0,1.5", depth="9", kind="alpha_dropout")
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "Ignored rates='0,1.5' from the link: rates must be 0..0.9, got 1.5" in text
    assert "Ignored depth='9' from the link: depth must be 1..6, got 9" in text
    assert at.multiselect(key="dropout.rates").value == [0.0, 0.2, 0.5] and at.slider(key="dropout.depth").value == 3
    assert any("Why SELU needs alpha dropout" in i.value for i in at.info)
    at.multiselect(key="dropout.rates").set_value([]).run()
    assert at.button(key="dropout_job_run").disabled
    assert "Pick at least one dropout rate." in [w.value for w in at.warning]
