"""The runner's quick lane, its artifacts kept within a memory bound, and its shutdown."""
import time

import torch

from core import jobs


def forever(stop):
    while not stop():
        time.sleep(0.005)
        yield {"progress": 0.5}


def quick(stop):
    yield {"progress": 1.0, "status": "done"}


def weights(mb: float, name: str = "w"):
    def fn(stop):
        yield jobs.Artifact(name, {"state": torch.zeros(int(mb * 2**20 / 4))})
        yield {"progress": 1.0, "status": "done"}
    return fn


def test_a_quick_analysis_does_not_wait_behind_a_long_training():
    r = jobs.Runner(max_running=1)
    training, waiting = r.submit(forever), r.submit(forever)
    analysis = r.submit(quick, lane="quick")
    assert analysis.wait(2) and analysis.status == "done"
    deadline = time.time() + 5
    while training.status == "queued" and time.time() < deadline:  # its worker thread may start after the
        time.sleep(0.01)  # quick job ended, on a busy machine
    assert training.status == "running" and waiting.position == 1 and analysis.position == 0
    assert r.stats()["quick_running"] == 0
    training.cancel(), waiting.cancel()
    assert training.wait(2)


def test_artifacts_stay_beside_the_records_and_within_the_bound():
    r = jobs.Runner(artifact_bytes=3 * 2**20)
    first = r.submit(weights(2), key="a")
    assert first.wait(5) and first.status == "done"
    assert first.records == [{"progress": 1.0, "status": "done"}]  # the artifact is not a record
    assert first.artifact("w")["state"].numel() == 2**19 and r.stats()["artifact_bytes"] == 2 * 2**20
    second = r.submit(weights(2), key="b")
    assert second.wait(5)
    # over 3 MB: the job that finished first gives its artifacts up, the newer keeps them
    assert first.artifacts_dropped and first.artifact("w") is None and first.records
    assert second.artifact("w") is not None and r.stats()["artifact_bytes"] == 2 * 2**20
    # a job whose artifacts are gone is not handed out again for the same key: it runs anew
    again = r.submit(weights(2), key="a")
    assert again is not first and again.wait(5) and again.artifact("w") is not None


def test_shutdown_stops_every_job_and_worker():
    r = jobs.Runner(max_running=1)
    running, queued = r.submit(forever), r.submit(forever)
    while running.status != "running":
        time.sleep(0.005)
    r.shutdown(timeout=3)
    assert running.status == "cancelled" and queued.status in ("queued", "cancelled")
    assert not any(w.is_alive() for w in r._workers)


def starting(stop):
    while not stop():
        time.sleep(0.005)
        yield {"progress": 0.0}


def lasting(seconds: float):
    def fn(stop):
        time.sleep(seconds)
        yield {"progress": 1.0, "status": "done"}
    return fn


def test_a_waiting_job_is_told_when_it_should_start():
    r = jobs.Runner(max_running=1)
    blocker = r.submit(starting, label="race")
    waiting = r.submit(quick, label="race")
    time.sleep(0.1)
    assert waiting.position == 1 and waiting.starts_in is None  # no progress, nothing finished: no estimate
    blocker.cancel()
    assert waiting.wait(2) and waiting.starts_in == 0.0
    assert r.submit(lasting(0.3), label="race").wait(5)  # the usual race now takes about 0.3 s

    running = r.submit(forever, label="race")  # reports progress 0.5: its estimate is its time so far
    first, second = r.submit(quick, label="race"), r.submit(quick, label="other")
    time.sleep(0.3)
    a, b = first.starts_in, second.starts_in
    assert a is not None and 0.1 < a < 1.5, a
    assert b is not None and abs(b - a - 0.3) < 0.2, (a, b)  # + the race's usual time; "other" uses the lane's
    running.cancel()
    assert first.wait(5) and second.wait(5)
