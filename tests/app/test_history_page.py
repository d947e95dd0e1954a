"""The run history page under AppTest: two runs of a lab appear, compare on one chart, one opens
again in its lab, one is deleted, and the history file loads in a fresh session (a malformed
one loads nothing)."""
from core import history_file, labs
from tests.app.helpers import chart_data, open_page

RACE = labs.get("optimizer_race")
HISTORY = "app_pages/history.py"


def _race(at):
    at.button(key="race_job_run").click().run()
    job = at.session_state["race_job"]
    assert job.wait(60) and job.status == "done", job.error
    at.run()
    return job


def test_runs_appear_compare_reopen_delete_and_load_in_a_fresh_session():
    at = open_page(RACE.screen, **RACE.smoke)
    first = _race(at)
    at.number_input(key="shared.seed").set_value(1).run()
    second = _race(at)
    at.switch_page(HISTORY).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["#"]) == [1, 2] and set(table["lab"]) == {"🏁 Optimizer race"}
    assert list(table["settings"].str.contains("seed=1")) == [False, True] and set(table["status"]) == {"🏁 done"}

    # both on one chart, each run named by its number
    at.multiselect(key="history.pick").set_value([1, 2]).run()
    [element] = at.get("vega_lite_chart")
    curves = chart_data(element)["curves"]
    names = {f"#{n} {run}" for n, job in ((1, first), (2, second)) for run in {r["run"] for r in job.records}}
    assert set(curves["run"]) == names and len(names) == 8  # two optimizers, two seeds, two runs
    assert set(curves["split"]) == {"validation"} and set(curves["metric"]) == {"loss", "accuracy"}
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV", "PNG", "SVG",
                                                                   "Download the history (JSON)"]

    # open the first again in its lab: its page draws it, with its settings
    at.button(key="history.open.1").click().run()
    assert not at.exception and at.session_state["race_job"] is first
    assert at.session_state["shared.seed"] == 0
    assert any("Reopened from the run history" in c.value for c in at.caption)

    at.switch_page(HISTORY).run()
    at.multiselect(key="history.pick").set_value([1]).run()
    at.button(key="history.delete").click().run()
    assert list(at.dataframe[0].value["#"]) == [2]
    text = history_file.dump(at.session_state["_runs"].finished())  # what the download button sends

    fresh = open_page(HISTORY)
    fresh.file_uploader(key="history.upload").set_value(("bad.json", b'{"format": 1', "application/json")).run()
    assert "bad.json was not loaded" in fresh.error[0].value and fresh.info  # nothing in the history
    fresh.file_uploader(key="history.upload").set_value(("run-history.json", text.encode(), "application/json")).run()
    assert not fresh.exception and fresh.success[0].value == "Loaded 1 runs from run-history.json."
    table = fresh.dataframe[0].value
    assert list(table["from"]) == ["a file"] and "seed=1" in table["settings"][0]
    assert fresh.session_state["_runs"].finished()[0].job.records == second.records
