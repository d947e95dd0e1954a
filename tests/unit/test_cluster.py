"""Sweeps on Ray (core/cluster.py), on a local instance started from the sweep page with 2 CPUs:
Ray left unimported until then, a plain message for an unreachable cluster, a lost task retried
once and then marked failed, stop cancelling the tasks not yet back, and a sweep from the page
giving the numbers of one in this process."""
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from core import cluster, data, labs, sweep
from core import config as C
from core.labs.base import never
from core.models import MLPSpec

SPEC = MLPSpec(depth=1, width=16, activation="relu", init="he_normal")

# without Ray these skip, except under CI=true, where they fail: CI always runs them
pytestmark = [pytest.mark.skipif(not cluster.installed() and os.environ.get("CI", "").lower() != "true",
                                 reason="Ray is not installed (pip install -r requirements-dev.txt)"),
              pytest.mark.ray]  # run in the first, serial phase: Ray's processes starved the browser tests beside them


@pytest.fixture(scope="module")
def ray_local():
    """A local instance with 2 CPUs, started as a person starts one: from the sweep page, in a
    script thread that ends with the page's run (the instance must outlive it)."""
    from tests.app.helpers import open_page

    with pytest.MonkeyPatch.context() as env:
        env.delenv(cluster.ADDRESS_ENV, raising=False)
        env.setenv(cluster.LOCAL_ENV, "1")
        env.setenv(cluster.LOCAL_CPUS_ENV, "2")
        at = open_page("app_pages/sweep.py")
        (start,) = [b for b in at.button if b.label == "Start local Ray"]
        start.click().run()
        assert not at.exception and cluster.connected()
    yield cluster.for_sweeps()
    cluster.disconnect()


@pytest.fixture(scope="module")
def digits():
    return data.load("digits", seed=0, size=300)


def by_cell(records):
    return {(c["optimizer"], c["lr"], c["seed"]): c for c in sweep.finals(records)}


def test_ray_is_not_imported_unless_a_sweep_goes_to_it(monkeypatch):
    """Run before this module's instance starts: in this worker process (the only module that
    starts Ray is this one), the registry, the sweep page and an in-process sweep leave Ray out."""
    from tests.app.helpers import open_page

    monkeypatch.delenv(cluster.ADDRESS_ENV, raising=False)
    lab = labs.get("lr_sweep")
    records = list(lab.run(C.from_strings(lab.config, lab.smoke), never))
    at = open_page(lab.screen)
    assert records and not at.exception and not cluster.connected()
    assert "ray" not in sys.modules, sorted(m for m in sys.modules if m.split(".")[0] == "ray")


def test_an_unreachable_cluster_is_said_plainly(monkeypatch):
    assert not cluster.connected()  # first in the module, before the instance the others share
    monkeypatch.setenv(cluster.ADDRESS_ENV, "127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(RuntimeError, match=r"could not join the Ray cluster at \$RAY_ADDRESS=127.0.0.1:9"):
        cluster.for_sweeps()
    assert not cluster.connected()


def counting(tmp: Path):
    """A task that notes each attempt in `tmp`. Every chunk's first attempt dies as a lost worker
    does; the second attempt of a chunk holding Adam raises (an exception is retried as a lost
    worker is, and it spares starting a worker)."""
    def task(d, spec, group, seeds, epochs, batch_size):
        key = f"{group[0].optimizer}-{group[0].lr:.6g}"
        tries = len(list(tmp.glob(key + ".*")))
        (tmp / f"{key}.{uuid.uuid4().hex}").touch()
        if tries == 0:
            os._exit(1)
        if any(e.optimizer == "adam" for e in group):
            raise MemoryError("out of memory, say")
        return cluster.chunk_task(d, spec, group, seeds, epochs, batch_size)
    return task


def test_a_lost_task_is_retried_once_then_its_cells_are_marked_failed_and_the_rest_go_on(ray_local, digits, tmp_path):
    grid = sweep.Grid(("sgd", "adam"), 1e-2, 1.0, 5, (0,))  # 10 cells; one slot: a chunk of SGD, one of Adam
    remote = cluster.Remote(1, ray_local.info, task=counting(tmp_path))
    cells = list(sweep.finals(list(sweep.run(digits, SPEC, grid, epochs=1, remote=remote))))
    adam = [c for c in cells if c["optimizer"] == "adam"]
    assert len(cells) == grid.cells and adam and all(c["status"] == "failed" and "failed twice" in c["message"]
                                                     and "out of memory, say" in c["message"] for c in adam)
    ok = [c for c in cells if c["status"] in ("done", "diverged")]
    assert len(ok) == 5 and {c["optimizer"] for c in ok} == {"sgd"}  # the chunk without Adam, on its retry
    tries: dict[str, int] = {}
    for f in tmp_path.iterdir():
        tries[f.stem] = tries.get(f.stem, 0) + 1
    assert len(tries) == 2 and set(tries.values()) == {2}  # each chunk ran twice, none more


def test_stop_cancels_the_tasks_not_yet_back(ray_local, digits, tmp_path):
    def slow(d, spec, group, seeds, epochs, batch_size):
        (tmp_path / f"{group[0].optimizer}-{group[0].lr:.6g}").touch()
        time.sleep(1.0)
        return cluster.chunk_task(d, spec, group, seeds, epochs, batch_size)

    remote = cluster.Remote(ray_local.slots, ray_local.info, task=slow)
    grid = sweep.Grid(("sgd", "adam", "momentum"), 1e-2, 1.0, 5, (0,))  # 15 cells: 8 tasks of 1 or 2 models
    seen: list[dict] = []
    for rec in sweep.run(digits, SPEC, grid, epochs=1, remote=remote, stop=lambda: bool(seen)):
        if not seen:
            first = time.perf_counter()
        seen.append(rec)
    took = time.perf_counter() - first  # from the first chunk back to the sweep's end
    cells = sweep.finals(seen)
    assert len(cells) == grid.cells and any(c["status"] == "cancelled" for c in cells)
    time.sleep(1.5)  # a task cancelled before it started never starts
    assert took < 1.0 and len(list(tmp_path.iterdir())) < 8


def test_a_sweep_on_ray_from_the_page_gives_the_numbers_of_one_in_this_process(ray_local, digits):
    """The page says where sweeps run and streams one back from Ray; every cell's numbers are the
    in-process sweep's, though the chunks differ (one pass here, 4 tasks there) and so do the
    thread counts: to 1e-4."""
    from tests.app.helpers import open_page

    assert ray_local.slots == 2 and ray_local.info.workers == 1 and ray_local.info.cpus == 2
    # lr_hi 0.3: not the page tests' sweep, which an identical finished run here would be served as
    at = open_page("app_pages/sweep.py", optimizers="sgd,adam", lr_lo="0.001", lr_hi="0.3", points="5", seeds="2",
                   epochs="2", depth="1", width="16", dataset="digits")
    assert any("Sweeps run on a local Ray instance: 1 node, 2 CPUs, 0 GPUs" in c.value for c in at.caption)
    at.button(key="sweep_job_run").click().run()
    job = at.session_state["sweep_job"]
    assert job.wait(120) and job.status == "done", job.error
    at.run()
    assert not at.exception
    assert any(c.value.startswith("20 of 20 cells ended, in a local Ray instance") for c in at.caption)
    records = job.snapshot()
    assert records[-1]["progress"] == 1.0 and any(r["status"] == "running" for r in records)
    config = job.config
    here = by_cell(list(sweep.run(data.load("digits", seed=0), config.spec(), config.grid(), epochs=2)))
    there = by_cell(records)
    assert len(there) == len(here) == 20
    for key, cell in here.items():
        assert there[key]["status"] == cell["status"], key
        if cell["status"] == "done":
            assert there[key]["val_loss"] == pytest.approx(cell["val_loss"], rel=1e-4), key
            assert there[key]["val_acc"] == pytest.approx(cell["val_acc"], abs=1e-6), key


def test_the_sweep_benchmark_runs_on_ray_too(ray_local, capsys):
    from benchmarks import bench_sweep

    assert bench_sweep.main(["--optimizers", "sgd", "--points", "5", "--seeds", "1", "--size", "100",
                             "--threads", "1", "--ray", "2"]) == 0
    out = capsys.readouterr().out
    assert "local Ray, 2 workers" in out and "warm" in out and cluster.connected()

