"""The session's run history (core.history) and its JSON file (core.history_file): the bounds,
deleting, and a file that round-trips or is refused whole."""
import json
import time

import pytest

from core import config as C
from core import history, history_file, jobs, labs
from core.labs.base import never

RACE = labs.get("optimizer_race")


@pytest.fixture(scope="module")
def records():
    """A real race's records (two optimizers, two seeds, one epoch: 0.1 s)."""
    config = C.from_strings(RACE.config, RACE.smoke)
    return [r for r in RACE.run(config, never) if isinstance(r, dict)]


def finished(records, **settings):
    config = C.from_strings(RACE.config, {**RACE.smoke, **settings})
    return jobs.restored(records, label="race", config=config, status="done", finished=time.time())


def test_runs_are_kept_once_each_with_their_settings_and_key_result(records):
    table = history.RunTable()
    job = finished(records)
    assert table.track(job, panel="race") == [] and table.track(job, panel="race") == []
    [entry] = table.finished()
    assert (entry.lab, entry.part, entry.panel, entry.n) == ("optimizer_race", "", "race", 1)
    assert entry.settings == C.to_strings(job.config) and "seeds=2" in entry.changed()
    assert entry.headline == RACE.headline(records) and entry.nbytes == history.json_size(records)
    assert table.track(jobs.restored([], label="x", config=None, status="done", finished=None)) == []  # no lab's


def test_the_byte_cap_drops_the_oldest_runs_with_a_notice(records):
    size = history.json_size(records)
    table = history.RunTable(max_bytes=int(2.5 * size))
    first, second, third = (finished(records, seed=str(s)) for s in range(3))
    table.track(first, panel="race")
    table.track(second, panel="race")
    notices = table.track(third, panel="race")
    assert [e.n for e in table.finished()] == [2, 3] and table.nbytes() == 2 * size
    assert len(notices) == 1 and notices[0].startswith("Run #1 (Optimizer race) was dropped from the history: a "
                                                       "session keeps 0.0")  # MB of records
    assert list(table.dropped) == notices
    assert table.track(first) == [] and len(table.finished()) == 2  # a dropped run stays out...
    table.allow(first)  # ...unless it is run again
    table.track(first)
    assert [e.n for e in table.finished()] == [3, 4]
    one = history.RunTable(max_bytes=1)
    one.track(first)
    assert len(one.finished()) == 1  # the newest stays, however large


def test_delete_and_clear(records):
    table = history.RunTable()
    a, b, c = (finished(records, seed=str(s)) for s in range(3))
    for job in (a, b, c):
        table.track(job, panel="race")
    table.remove([table.entry_of(b)])
    assert [e.job for e in table.finished()] == [a, c]
    table.track(b)
    assert table.entry_of(b) is None  # deleted: a page still showing it does not bring it back
    table.clear()
    assert table.finished() == [] and table.of("optimizer_race") == []


def test_the_file_round_trips_runs_and_records(records):
    table = history.RunTable()
    table.track(finished(records), panel="race")
    diverged = [dict(r, val_loss=float("inf")) for r in records]  # non-finite numbers survive
    table.track(finished(diverged, seed="5"), panel="race")
    text = history_file.dump(table.finished())
    fresh = history.RunTable()
    for job, panel in history_file.load(text.encode()):
        fresh.adopt(job, panel)
    fresh.settle()
    before, after = table.finished(), fresh.finished()
    assert [(e.lab, e.part, e.panel, e.settings, e.headline, e.job.status) for e in after] == \
           [(e.lab, e.part, e.panel, e.settings, e.headline, e.job.status) for e in before]
    assert [json.dumps(e.job.records) for e in after] == [json.dumps(e.job.records) for e in before]
    assert all(e.loaded and e.job.config == b.job.config for e, b in zip(after, before))
    assert history.table(after).equals(history.table(before))  # the same CSV


def _tamper(records, change):
    table = history.RunTable()
    table.track(finished(records), panel="race")
    doc = json.loads(history_file.dump(table.finished()))
    change(doc, doc["runs"][0])
    return json.dumps(doc).encode()


def _set(key, value):
    return lambda doc, run: run.__setitem__(key, value)


def _record(key, value):
    return lambda doc, run: run["records"][0].__setitem__(key, value)


TAMPERED = {
    "not a history": (lambda doc, run: doc.pop("format"), "not a run history file"),
    "an extra field": (lambda doc, run: doc.__setitem__("code", "import os"), "Unexpected fields in the file: code"),
    "another version": (lambda doc, run: doc.__setitem__("version", 2), "of version 2"),
    "no runs": (lambda doc, run: doc.__setitem__("runs", []), "\"runs\" must be a list"),
    "a field missing": (lambda doc, run: run.pop("status"), "must have exactly the fields"),
    "an unknown lab": (_set("lab", "os.system"), "os.system"),
    "an unknown part": (_set("part", "finder"), "no part 'finder'"),
    "a setting out of range": (lambda doc, run: run["settings"].__setitem__("depth", "500"), "depth must be"),
    "an unknown setting": (lambda doc, run: run["settings"].__setitem__("rm", "1"), "has no field 'rm'"),
    "a setting not text": (lambda doc, run: run["settings"].__setitem__("depth", 3), "map field names to text"),
    "a panel that is no name": (_set("panel", "../_runs"), "\"panel\" must be"),
    "a live status": (_set("status", "running"), "\"status\" must be one of"),
    "a bad time": (_set("finished", "yesterday"), "\"finished\" must be"),
    "records not a list": (_set("records", {"a": 1}), "\"records\" must be a list"),
    "a record not an object": (lambda doc, run: run["records"].append([1, 2]), "is not an object"),
    "an epoch as text": (_record("epoch", "one"), "epoch must be a number"),
    "a run label not text": (_record("run", 7), "run must be text"),
    "nested too deep": (_record("x", [[[[[[1]]]]]]), "nested deeper than"),
    "records the lab cannot read": (lambda doc, run: [r.pop("samples") for r in run["records"]], "do not read as"),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_file_is_refused_whole_with_a_message(records, name):
    change, message = TAMPERED[name]
    with pytest.raises(history_file.HistoryFileError) as exc:
        history_file.load(_tamper(records, change))
    assert message in str(exc.value)


@pytest.mark.parametrize("data, message", [
    (b"{not json", "not valid JSON"), (b"\xff\xfe", "not valid JSON"), (b"[" * 100_000, "not valid JSON"),
    (b"1" * (history_file.MAX_FILE_BYTES + 1), "a history file is at most"),
], ids=["not JSON", "not UTF-8", "nested past the parser", "too large"])
def test_a_file_that_is_not_json_or_too_large_is_refused(data, message):
    with pytest.raises(history_file.HistoryFileError) as exc:
        history_file.load(data)
    assert message in str(exc.value)


def test_a_fault_in_a_later_run_loads_nothing(records):
    table = history.RunTable()
    table.track(finished(records), panel="race")
    table.track(finished(records, seed="1"), panel="race")
    doc = json.loads(history_file.dump(table.finished()))
    doc["runs"][1]["settings"]["lr"] = "nan"
    with pytest.raises(history_file.HistoryFileError, match="Run 2 of the file"):
        history_file.load(json.dumps(doc).encode())
