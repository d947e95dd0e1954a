"""The Transfer-learning page driven by AppTest: a tiny run draws A's curves, B's curves and the
test accuracies with their spread."""
from core.labs.transfer import cache
from core.labs.transfer.charts import CURVES_TITLE, TEST_TITLE
from tests.app.helpers import charts_by_title, open_page

PAGE = "app_pages/transfer.py"
SMALL = dict(depth="2", width="16", epochs_a="2", epochs_b="3", freeze_epochs="1", reuse="1", n_examples="20",
             seeds="3", classes="3,8")


def test_a_tiny_run_draws_a_b_and_the_test_accuracies():
    cache.clear()
    at = open_page(PAGE, **SMALL)
    assert not at.exception and not at.warning
    assert at.multiselect(key="transfer.classes").value == [3, 8]
    assert not at.get("vega_lite_chart")
    at.button(key="transfer_job_run").click().run()
    job = at.session_state["transfer_job"]
    assert job.wait(60) and job.status == "done", job.error
    at.run()
    assert not at.exception and at.success[0].value.startswith("Finished at ")
    charts = charts_by_title(at)
    b = charts[CURVES_TITLE]
    assert set(b["seeds"]["method"]) == {"B from scratch", "B on A"} and b["seeds"]["epoch"].max() == 3
    assert list(b["unfreeze"]["epoch"]) == [1]
    tests = charts[TEST_TITLE]
    assert len(tests["tests"]) == 6 and set(tests["spread"]["method"]) == {"B from scratch", "B on A"}
    assert any("curves" in c for c in charts.values())  # model A's learning curves
    table = at.dataframe[0].value
    assert list(table["method"]) == ["B from scratch", "B on A"] and list(table["seeds"]) == [3, 3]
    words = " ".join(m.value for m in at.markdown)
    assert "Seed 3 alone" in words or "Seed 0 alone" in words
    assert "Over 3 seeds" in words
    captions = " ".join(c.value for c in at.caption)
    assert "Task B: 3 (label 0) against 8 (label 1)" in captions and "N = 20 of the" in captions
    assert "effect may differ" in captions


def test_one_class_is_not_enough_and_reuse_follows_the_depth():
    at = open_page(PAGE, depth="2", reuse="2")
    assert not at.exception and not at.warning
    at.multiselect(key="transfer.classes").set_value([3]).run()
    assert "Pick two classes for task B." in [w.value for w in at.warning]
    assert at.button(key="transfer_job_run").disabled
    at.slider(key="transfer.depth").set_value(1).run()
    assert not at.exception and at.session_state["transfer.reuse"] == 1
