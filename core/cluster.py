"""Ray, when there is one: a sweep's chunks as Ray tasks, their cells streamed back as each ends.

Ray is optional and is imported only here, only when a sweep is sent to it: with $RAY_ADDRESS set
(a cluster to join), after `python -m core run ... --ray`, or after a page started a local
instance, which the server allows only when $DYNAMICS_RAY_LOCAL is set. Ray's dashboard and usage
reporting stay off. The cluster's workers need the project's pinned packages (torch above all);
the `core` package itself is shipped with each job in its runtime_env.

A chunk is one task. A task whose worker is lost (or that raises) is run once more; when that
fails too, its cells are marked failed and the others go on. Stopping cancels every task not yet
back.
"""
from __future__ import annotations

import importlib.util
import os
import socket
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from core import device
from core.data import Data
from core.labs.base import ROOT
from core.models import MLPSpec
from core.race import Entrant

ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own: the cluster to join
LOCAL_ENV = "DYNAMICS_RAY_LOCAL"  # "1": a page may start a local Ray instance in the server
LOCAL_CPUS_ENV = "DYNAMICS_RAY_CPUS"  # CPUs of that local instance (default: all)
GPU_SHARE = 0.25  # of a GPU per task where the cluster has GPUs: small MLPs, four chunks to a GPU
RETRIES = 1  # a lost or failing task is run once more
WAIT = 0.25  # seconds between looks at stop while tasks run

_lock = threading.Lock()


@dataclass(frozen=True)
class Info:
    """The cluster a sweep runs on."""

    address: str  # where it is: "local" for an instance this process started
    workers: int  # nodes alive
    cpus: float
    gpus: float

    def describe(self) -> str:
        where = "a local Ray instance" if self.address == "local" else f"the Ray cluster at {self.address}"
        return (f"{where}: {self.workers} node{'s' if self.workers != 1 else ''}, {self.cpus:g} CPUs, "
                f"{self.gpus:g} GPUs")


def installed() -> bool:
    """Whether Ray can be imported here (without importing it)."""
    return importlib.util.find_spec("ray") is not None


def address() -> str | None:
    """The cluster named by $RAY_ADDRESS, if any."""
    return os.environ.get(ADDRESS_ENV) or None


def local_allowed() -> bool:
    """Whether this server lets a page start a local Ray instance."""
    return os.environ.get(LOCAL_ENV, "").lower() in ("1", "true", "yes", "on")


def connected() -> bool:
    """Whether this process has joined or started Ray (never imports it)."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def runtime_env() -> dict[str, Any]:
    """What every task needs besides the cluster's packages: the project's `core`."""
    return {"py_modules": [str(ROOT / "core")]}


def connect(local_cpus: int | None = None) -> Info:
    """Join $RAY_ADDRESS's cluster, or start a local instance (dashboard and usage reporting off);
    nothing when already connected. ValueError, saying what to do, when Ray is not installed."""
    if not installed():
        raise ValueError("Ray is not installed here: pip install -r requirements-ray.txt")
    with _lock:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray

        if not ray.is_initialized():
            where = address()
            common = dict(runtime_env=runtime_env(), log_to_driver=False, configure_logging=False)
            if where:
                try:
                    _reachable(where)  # Ray itself keeps retrying an unreachable address for minutes
                    _init_kept(address=where, **common)
                except Exception as exc:  # unreachable, refused, another Ray version: said plainly
                    raise RuntimeError(f"could not join the Ray cluster at ${ADDRESS_ENV}={where}: {exc}. Unset "
                                       f"{ADDRESS_ENV} to sweep in this process") from exc
            else:
                cpus = local_cpus or int(os.environ.get(LOCAL_CPUS_ENV, "0")) or os.cpu_count() or 1
                _init_kept(num_cpus=cpus, include_dashboard=False, object_store_memory=256 * 2**20, **common)
    return info()


_release = threading.Event()  # set by disconnect: the thread that started Ray may end


def _init_kept(**kwargs: Any) -> None:
    """ray.init in a thread kept alive until disconnect. Ray starts its local processes with
    PR_SET_PDEATHSIG, which fires when the *thread* that started them ends: started from a page's
    script thread (which ends with each run), its processes died with that thread, and a minute
    later Ray ended the server as a driver that had lost its cluster."""
    import ray

    started, box = threading.Event(), {}

    def keep() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            started.set()
        _release.wait()

    _release.clear()
    threading.Thread(target=keep, daemon=True, name="ray-keeper").start()
    started.wait()
    if "error" in box:
        raise box["error"]


def _reachable(where: str, timeout: float = 5.0) -> None:
    """OSError unless something listens at `where` (host:port or ray://host:port; "auto" and
    other forms are left to Ray)."""
    host, sep, port = where.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    with socket.create_connection((host, int(port)), timeout=timeout):
        pass


def disconnect() -> None:
    """Leave the cluster (a local instance this process started stops)."""
    if connected():
        import ray

        ray.shutdown()
    _release.set()


def info() -> Info:
    import ray

    resources = ray.cluster_resources()
    return Info(address() or "local", sum(1 for n in ray.nodes() if n.get("Alive")),
                resources.get("CPU", 0.0), resources.get("GPU", 0.0))


@dataclass(frozen=True)
class Remote:
    """Where a sweep's chunks go: Ray, with `slots` tasks at a time."""

    slots: int
    info: Info
    task: Callable[..., list[dict]] | None = None  # what each task runs (chunk_task; a test's own)

    def chunk_models(self, models: int) -> int:
        """Models per chunk: two chunks per slot, so that cells stream back and a slow task does
        not hold the rest."""
        return max(1, -(-models // (2 * self.slots)))

    def run(self, data: Data, spec: MLPSpec, groups: list[list[Entrant]], seeds: list[int], *, epochs: int,
            batch_size: int, stop: Callable[[], bool] | None = None) -> Iterator[dict]:
        return run_chunks(data, spec, groups, seeds, epochs=epochs, batch_size=batch_size, stop=stop,
                          task=self.task or chunk_task)


def for_sweeps() -> Remote | None:
    """Where a sweep should run: on Ray when this process is connected or $RAY_ADDRESS names a
    cluster (joined now), else None (in this process)."""
    if not (connected() or address()):
        return None
    found = connect()
    slots = int(found.gpus / GPU_SHARE) if found.gpus else int(found.cpus)
    return Remote(max(1, slots), found)


def chunk_task(data: Data, spec: MLPSpec, group: list[Entrant], seeds: list[int], epochs: int,
               batch_size: int) -> list[dict]:
    """A chunk on a worker: its cells' records, trained on the worker's GPU when Ray gave it one."""
    from core import sweep

    dev = device.pick("auto")
    return list(sweep.train_chunk(data.to(dev), spec, group, seeds, epochs=epochs, batch_size=batch_size))


def _ended(group: list[Entrant], seeds: list[int], status: str, message: str) -> list[dict]:
    """The last records of a chunk's cells that never came back."""
    return [{"kind": "cell", "run": f"{e.name} (seed {s})", "optimizer": e.optimizer, "lr": e.lr, "seed": s,
             "status": status, "val_loss": None, "val_acc": None, "epoch": None, "message": message}
            for e in group for s in seeds]


def _failed(group: list[Entrant], seeds: list[int], error: BaseException) -> list[dict]:
    text = str(error).strip()
    reason = text.splitlines()[-1] if text else ""
    return _ended(group, seeds, "failed", f"its task failed twice: {type(error).__name__} {reason}"[:300])


def run_chunks(data: Data, spec: MLPSpec, groups: list[list[Entrant]], seeds: list[int], *, epochs: int,
               batch_size: int, stop: Callable[[], bool] | None = None,
               task: Callable[..., list[dict]] = chunk_task) -> Iterator[dict]:
    """Every chunk as a Ray task (`task`, chunk_task unless a test says otherwise), yielding each
    chunk's records as it comes back; a chunk that fails after its retry yields its cells as
    failed. On stop, every task not yet back is cancelled."""
    import ray

    gpus = GPU_SHARE if ray.cluster_resources().get("GPU", 0) > 0 else 0
    remote = ray.remote(task).options(num_cpus=1, num_gpus=gpus, max_retries=RETRIES, retry_exceptions=True)
    shared = ray.put(data.to("cpu"))
    pending = {remote.remote(shared, spec, group, seeds, epochs, batch_size): group for group in groups}
    try:
        while pending:
            if stop is not None and stop():
                for ref, group in pending.items():
                    ray.cancel(ref)
                    yield from _ended(group, seeds, "cancelled", "cancelled before its chunk came back")
                pending.clear()
                return
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT)
            for ref in ready:
                group = pending.pop(ref)
                try:
                    records = ray.get(ref)
                except Exception as exc:  # its worker lost, or it raised: twice, its retry included
                    records = _failed(group, seeds, exc)
                yield from records
    finally:
        for ref in pending:  # stopped (or the consumer went away): nothing more is wanted
            ray.cancel(ref)
