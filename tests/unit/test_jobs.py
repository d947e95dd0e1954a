"""Job runner: status, cancel within a second, the running limit, the bounded queue, sharing."""
import threading
import time

import pytest

from core import jobs


def ticker(n: int = 10_000, dt: float = 0.01, progress: bool = True):
    """A job function that yields a record every `dt` seconds and honours stop()."""
    def fn(stop):
        for i in range(n):
            if stop():
                return
            time.sleep(dt)
            yield {"i": i, "progress": (i + 1) / n} if progress else {"i": i}
    return fn


@pytest.fixture
def runner():
    return jobs.Runner(max_running=1, max_queue=2)


def test_a_job_runs_to_done_with_records_and_progress(runner):
    job = runner.submit(ticker(5, 0.001))
    assert job.wait(5)
    assert job.status == "done" and [r["i"] for r in job.records] == [0, 1, 2, 3, 4]
    assert job.progress == 1.0 and job.finished >= job.started


def test_cancel_takes_effect_within_a_second(runner):
    job = runner.submit(ticker())
    while job.status != "running":
        time.sleep(0.005)
    t = time.time()
    assert job.cancel() is True
    assert job.wait(1.0) and job.status == "cancelled"
    assert time.time() - t < 1.0


def test_queue_limit_position_and_running_limit():
    active, peak, lock = [0], [0], threading.Lock()

    def counted(stop):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            while not stop():
                time.sleep(0.005)
                yield {}
        finally:
            with lock:
                active[0] -= 1

    r = jobs.Runner(max_running=1, max_queue=2)
    first = r.submit(counted)
    while first.status != "running":
        time.sleep(0.005)
    second, third = r.submit(counted), r.submit(counted)
    assert (first.position, second.position, third.position) == (0, 1, 2)
    assert second.status == third.status == "queued"
    with pytest.raises(jobs.QueueFull, match="2 jobs waiting"):
        r.submit(counted)
    second.cancel()  # leaving the line moves the next one up
    assert second.status == "cancelled" and third.position == 1
    first.cancel()  # third starts now
    while third.status != "running":
        time.sleep(0.005)
    third.cancel()
    assert third.wait(2) and peak[0] == 1


def test_two_running_at_once_when_allowed():
    r = jobs.Runner(max_running=2, max_queue=4)
    a, b = r.submit(ticker()), r.submit(ticker())
    deadline = time.time() + 3
    while not (a.status == b.status == "running") and time.time() < deadline:
        time.sleep(0.005)
    assert a.status == b.status == "running"
    a.cancel(), b.cancel()
    assert a.wait(2) and b.wait(2)


def test_a_failing_job_is_reported_and_the_runner_goes_on(runner):
    def broken(stop):
        yield {"progress": 0.5}
        raise RuntimeError("boom")

    bad = runner.submit(broken)
    assert bad.wait(5) and bad.status == "failed" and "boom" in bad.error
    good = runner.submit(ticker(3, 0.001))
    assert good.wait(5) and good.status == "done"


def test_out_of_memory_gets_a_clear_message(runner):
    def oom(stop):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
        yield

    job = runner.submit(oom)
    assert job.wait(5) and "smaller network" in job.error


def test_diverged_when_every_run_diverged(runner):
    def runs(statuses):
        def fn(stop):
            for s in statuses:
                yield {"status": s}
        return fn

    all_bad = runner.submit(runs(["running", "diverged", "diverged"]))
    mixed = runner.submit(runs(["diverged", "done"]))
    assert all_bad.wait(5) and all_bad.status == "diverged"
    assert mixed.wait(5) and mixed.status == "done"


def test_identical_work_is_shared_and_one_leaving_does_not_stop_the_other(runner):
    a = runner.submit(ticker(), key="same")
    b = runner.submit(ticker(), key="same")
    assert a is b and a.holders == 2
    assert a.cancel() is False and a.status in ("queued", "running")
    assert b.cancel() is True and b.wait(2) and b.status == "cancelled"
    c = runner.submit(ticker(3, 0.001), key="same")  # a cancelled job is never served again
    assert c is not a and c.wait(5)
    assert runner.submit(ticker(), key="same") is c  # a finished one is served from the cache


def test_eta_is_extrapolated_from_progress(runner):
    job = runner.submit(ticker(100, 0.01))
    while len(job.records) < 10:
        time.sleep(0.005)
    assert job.eta is not None and 0.3 < job.eta < 5
    job.cancel()
    job.wait(2)


def test_default_limit_reads_the_environment(monkeypatch):
    monkeypatch.setenv(jobs.MAX_JOBS_ENV, "3")
    assert jobs.default_limit() == 3
    monkeypatch.delenv(jobs.MAX_JOBS_ENV)
    assert jobs.default_limit() == 1  # no GPU here: one job at a time


def test_each_worker_runs_the_thread_init_first():
    seen = []
    r = jobs.Runner(max_running=2, max_queue=2, thread_init=lambda: seen.append(threading.current_thread().name))
    job = r.submit(ticker(2, 0.001))
    assert job.wait(5)
    quick = r.submit(ticker(2, 0.001), lane="quick")
    assert quick.wait(5)
    # every lane's workers: max_running in "train", quick_running (1) in "quick"
    assert sorted(seen) == ["job-quick-0", "job-train-0", "job-train-1"]


def test_the_process_runner_sets_torch_threads_in_its_workers(monkeypatch):
    import torch

    monkeypatch.setenv("DYNAMICS_TORCH_THREADS", "3")  # not what a 2-core default would give
    monkeypatch.setattr(jobs, "_default", None)
    job = jobs.submit(lambda stop: iter([{"threads": torch.get_num_threads()}]))
    assert job.wait(5) and job.records == [{"threads": 3}]


def test_a_stopped_job_keeps_its_closing_record(runner):
    def closing(stop):
        for i in range(10_000):
            if stop():
                yield {"i": i, "status": "cancelled"}
                return
            yield {"i": i, "status": "running"}
            time.sleep(0.005)

    job = runner.submit(closing)
    while len(job.records) < 3:
        time.sleep(0.005)
    assert job.cancel() and job.wait(2.0) and job.status == "cancelled"
    assert job.records[-1]["status"] == "cancelled"
