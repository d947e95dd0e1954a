"""What every watcher of a job sees is derived once per snapshot, however many sessions read it."""
import threading
import time

import pandas as pd
import pytest

from core import frames, jobs, snapshots
from core.labs.optimizer_race import tables as race_tables

CALLS: list[int] = []


@snapshots.shared
def counted(records, *, scale=1):
    CALLS.append(len(records))
    time.sleep(0.01)  # long enough for concurrent readers to overlap
    return sum(r["v"] for r in records) * scale


def reporting(n):
    def fn(stop):
        for i in range(n):
            yield {"v": i, "progress": (i + 1) / n}
    return fn


@pytest.fixture(autouse=True)
def fresh():
    CALLS.clear()
    snapshots.cache.clear()


def test_many_sessions_reading_one_snapshot_derive_it_once():
    job = jobs.Runner().submit(reporting(5))
    assert job.wait(5)
    results = []

    def session():
        snap = job.snapshot()  # each session takes its own snapshot, as each fragment tick does
        results.append(counted(snap))

    threads = [threading.Thread(target=session) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [10] * 16 and CALLS == [5]
    counted(job.snapshot())  # a tick with nothing new derives nothing
    assert CALLS == [5] and snapshots.cache.served >= 16


def test_a_new_record_or_other_arguments_derive_again_and_plain_lists_are_never_cached():
    records = [{"v": 1}, {"v": 2}]
    a = snapshots.Snapshot(records, (7, 2))
    assert counted(a) == 3 and counted(a, scale=2) == 6 and counted(a) == 3
    assert CALLS == [2, 2]
    b = snapshots.Snapshot(records + [{"v": 4}], (7, 3))
    assert counted(b) == 7 and CALLS == [2, 2, 3]
    assert counted(a) == 3 and CALLS == [2, 2, 3, 2]  # a late reader of the older snapshot gets its own answer
    assert counted(b) == 7 and CALLS == [2, 2, 3, 2]  # ...without displacing the newer one
    assert counted(list(records)) == 3 and CALLS[-1] == 2 and len(CALLS) == 5


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(snapshots.cache, "max_entries", 8)
    for job_id in range(20):
        counted(snapshots.Snapshot([{"v": job_id}], (job_id, 1)))
    assert len(snapshots.cache) == 8
    counted(snapshots.Snapshot([{"v": 19}], (19, 1)))  # the newest are still there
    assert len(CALLS) == 20


def test_the_labs_tables_are_shared_and_equal_to_a_fresh_computation():
    records = [{"kind": "train", "entrant": "sgd", "seed": s, "step": k, "epoch": k, "samples": 32 * k,
                "time": 0.1 * k, "train_loss": 2.0 / (k + 1), "val_acc": 0.1 * k, "status": "running"}
               for k in range(4) for s in range(2)]
    snap = snapshots.Snapshot(records, (99, len(records)))
    first = race_tables.curves(snap, x="epoch")
    assert race_tables.curves(snap, x="epoch") is first  # the second session gets the same object
    pd.testing.assert_frame_equal(first, race_tables.curves(list(records), x="epoch"))
    assert frames.by_run(snap) is frames.by_run(snap)


def test_thin_keeps_the_latest_points_and_the_extremes():
    n = 5000
    values = [1.0 / (i + 1) for i in range(n)]
    values[1234] = 50.0  # one spike among the old points
    df = pd.DataFrame({"run": ["a"] * n + ["b"] * 10, "x": list(range(n)) + list(range(10)),
                       "value": values + [0.0] * 10})
    out = frames.thin(df, ["run"], "value")
    a = out[out["run"] == "a"]
    assert len(a) <= frames.MAX_POINTS and len(out[out["run"] == "b"]) == 10
    assert list(a["x"].iloc[-frames.KEEP_LATEST:]) == list(range(n - frames.KEEP_LATEST, n))
    assert 50.0 in set(a["value"]) and a["x"].iloc[0] == 0 and a["x"].is_monotonic_increasing
    short = df[df["run"] == "b"]
    assert frames.thin(short, ["run"], "value") is short


def test_learning_curves_of_a_long_run_stay_small():
    records = [{"kind": "train", "run": "r", "step": i, "epoch": i / 10, "samples": i, "time": i,
                "train_loss": 1.0, "val_loss": 1.0, "train_acc": 0.5, "val_acc": 0.5, "status": "running"}
               for i in range(2000)]
    curves = frames.curves(records)
    assert curves.groupby(["run", "metric", "split"]).size().max() <= frames.MAX_POINTS
    assert len(frames.curves(records, max_points=None)) == 4 * 2000 - 2
