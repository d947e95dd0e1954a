"""Background job runner: lanes with bounded queues and a process-wide limit on running jobs,
cancel, records and artifacts.

A job wraps a generator function `fn(stop) -> Iterator[record | Artifact]`; its worker thread
only appends plain records (JSON-ready dicts) to the job and keeps anything heavy it hands over
as an `Artifact` (trained weights, an analysis) beside them, in memory bounded for the whole
runner. One runner serves the whole process (every visitor of the app), so a queued job knows
its place in line. Identical work (same `key`) is shared.

Two lanes: "train" for training runs, and "quick" for analyses that take a second or two, so
that one does not wait behind someone's minute-long training on a one-job CPU.
"""
from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import threading
import time
import traceback
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from core.snapshots import Snapshot

JobFn = Callable[[Callable[[], bool]], Iterator[Any]]  # fn(stop) -> records and Artifacts
TERMINAL = ("done", "diverged", "failed", "cancelled")
DRAIN_SECONDS = 1.0  # after Stop, how long a job may still hand over its closing records
MAX_JOBS_ENV, MAX_QUEUE_ENV = "DYNAMICS_MAX_JOBS", "DYNAMICS_MAX_QUEUE"
ARTIFACT_MB_ENV = "DYNAMICS_ARTIFACT_MB"
MAX_HELD_JOBS = 64  # jobs whose artifacts are kept, however small they are
log = logging.getLogger(__name__)


class QueueFull(RuntimeError):
    """The waiting line is full; the message says how long it is."""


@dataclass
class Artifact:
    """Something heavy a job hands over beside its records (e.g. trained weights), by name."""

    name: str
    value: Any


def size_of(value: Any) -> int:
    """Bytes held by the tensors and arrays in `value` (dicts, lists, tuples and objects walked)."""
    if hasattr(value, "element_size") and hasattr(value, "numel"):
        return value.element_size() * value.numel()
    if hasattr(value, "nbytes") and not isinstance(value, (bytes, str)):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(size_of(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(size_of(v) for v in value)
    if hasattr(value, "__dict__"):
        return size_of(vars(value))
    return 0


class Job:
    def __init__(self, fn: JobFn, label: str, key: str | None, runner: "Runner", lane: str = "train",
                 config: Any = None) -> None:
        self.id = next(_ids)
        self.label, self.key, self.lane = label, key, lane
        self.config = config  # the settings it runs, when given (a page says which run it shows)
        self.status = "queued"  # queued, running, done, diverged, failed, cancelled
        self.error: str | None = None  # message when failed
        self.records: list[dict] = []  # appended by the worker thread only
        self.artifacts: dict[str, Any] = {}  # name -> value, set by the worker thread only
        self.artifacts_dropped = False  # True once the runner freed them to stay within its memory bound
        self.submitted = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.holders = 1  # visitors watching this job (identical submissions share it)
        self._fn, self._runner = fn, runner
        self._stop = threading.Event()

    # --- read by any thread ---------------------------------------------------------------
    @property
    def finished_ok(self) -> bool:
        return self.status in ("done", "diverged")

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def progress(self) -> float:
        """0..1, from the latest record's `progress`."""
        if self.status in ("done", "diverged"):
            return 1.0
        recs = self.records
        return float(recs[-1].get("progress", 0.0)) if recs else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, extrapolated from progress so far; None before any progress."""
        p = self.progress
        if self.status != "running" or not self.started or p <= 0:
            return None
        return (time.time() - self.started) * (1 - p) / p

    @property
    def position(self) -> int:
        """1 for the next job to start, 2 behind it...; 0 when not waiting."""
        return self._runner.position(self)

    @property
    def starts_in(self) -> float | None:
        """Seconds until this queued job is expected to start; None when there is no estimate yet."""
        return self._runner.starts_in(self)

    def snapshot(self) -> Snapshot:
        """The records so far, named by (job, count) so what is derived from them is shared."""
        n = len(self.records)
        return Snapshot(self.records[:n], (self.id, n))

    def artifact(self, name: str) -> Any:
        """The artifact `name`, or None (not produced, or dropped to bound memory)."""
        return self.artifacts.get(name)

    def cancel(self) -> bool:
        """Withdraw this holder; stops the job (within a second) when nobody else watches.

        Returns True when the job is stopping or stopped, False when others keep it going.
        """
        return self._runner.cancel(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (for scripts and tests); True if it ended."""
        end = None if timeout is None else time.time() + timeout
        while not self.is_terminal:
            if end is not None and time.time() > end:
                return False
            time.sleep(0.02)
        return True

    # --- worker thread ----------------------------------------------------------------------
    def _run(self) -> None:
        self.started = time.time()
        try:
            stopped_at = None
            for rec in self._fn(self._stop.is_set):
                if isinstance(rec, Artifact):
                    self.artifacts[rec.name] = rec.value
                    self._runner._account(self, size_of(rec.value))
                    continue
                self.records.append(rec)
                if self._stop.is_set():  # the job ends itself, with its "cancelled" records; wait briefly
                    stopped_at = stopped_at or time.monotonic()
                    if time.monotonic() - stopped_at > DRAIN_SECONDS:
                        break
            self.status = "cancelled" if self._stop.is_set() else _final_status(self.records)
        except Exception as exc:  # a failing job must never take the process down
            log.warning("job %s failed:\n%s", self.id, traceback.format_exc())
            self.error = _friendly(exc)
            self.status = "failed"
        finally:
            self.finished = time.time()


def _final_status(records: list[dict]) -> str:
    """"diverged" when every run in the job diverged, else "done"."""
    ends = [r["status"] for r in records if r.get("status") not in (None, "running")]
    return "diverged" if ends and all(s == "diverged" for s in ends) else "done"


def _friendly(exc: BaseException) -> str:
    name = type(exc).__name__
    if "out of memory" in str(exc).lower():
        return f"Out of memory ({name}): try a smaller network, batch or dataset."
    return f"{name}: {exc}"


_ids = itertools.count(1)
_RUNNERS: "weakref.WeakSet[Runner]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Before the interpreter exits: stop every runner's jobs (see Runner.shutdown)."""
    for r in list(_RUNNERS):
        r.shutdown()


class _Lane:
    """One waiting line with its workers."""

    def __init__(self, name: str, max_running: int, max_queue: int) -> None:
        self.name, self.max_running, self.max_queue = name, max_running, max_queue
        self.waiting: deque[Job] = deque()
        self.running: set[Job] = set()


class Runner:
    """Runs at most `max_running` training jobs at once (and `quick_running` quick ones); at most
    `max_queue` more wait in each line. Artifacts of all jobs together stay within
    `artifact_bytes`: past it, those of the jobs that finished first are dropped."""

    def __init__(self, max_running: int = 1, max_queue: int = 16, keep_finished: int = 32,
                 thread_init: Callable[[], object] | None = None, quick_running: int = 1,
                 artifact_bytes: int = 512 * 2**20) -> None:
        if max_running < 1 or quick_running < 1 or max_queue < 0:
            raise ValueError("max_running and quick_running must be >= 1 and max_queue >= 0")
        self.max_running, self.max_queue = max_running, max_queue
        self._lock = threading.Condition()
        self._lanes = {"train": _Lane("train", max_running, max_queue),
                       "quick": _Lane("quick", quick_running, max_queue)}
        self._by_key: OrderedDict[str, Job] = OrderedDict()  # shared and cached jobs
        self._keep_finished = keep_finished
        self._thread_init = thread_init  # run first in each worker (e.g. torch's per-thread settings)
        self.artifact_bytes = artifact_bytes
        self._held: OrderedDict[Job, int] = OrderedDict()  # job -> bytes of its artifacts, oldest first
        self._durations: dict[str, deque[float]] = {}  # job label -> seconds its latest runs took
        self._closing = False
        _RUNNERS.add(self)
        self._workers = [threading.Thread(target=self._work, args=(lane,), daemon=True,
                                          name=f"job-{lane.name}-{i}")
                         for lane in self._lanes.values() for i in range(lane.max_running)]
        for w in self._workers:
            w.start()

    def submit(self, fn: JobFn, *, label: str = "", key: str | None = None, lane: str = "train",
               config: Any = None) -> Job:
        """Queue `fn` in `lane`. With `key`, a live or successful job with the same key is shared.
        `config` is kept on the job to say what it runs."""
        if lane not in self._lanes:
            raise ValueError(f"unknown lane {lane!r}; lanes: {', '.join(self._lanes)}")
        line = self._lanes[lane]
        with self._lock:
            if key is not None and (same := self._by_key.get(key)) is not None:
                if same.status in ("queued", "running", "done", "diverged") and not same.artifacts_dropped:
                    same.holders += 1
                    self._by_key.move_to_end(key)
                    return same
            if len(line.waiting) >= line.max_queue:
                raise QueueFull(f"the queue is full ({line.max_queue} jobs waiting); try again in a minute")
            job = Job(fn, label, key, self, lane, config)
            line.waiting.append(job)
            if key is not None:
                self._by_key[key] = job
                self._trim()
            self._lock.notify_all()
            return job

    def cancel(self, job: Job) -> bool:
        with self._lock:
            if job.is_terminal:
                return True
            if job.holders > 1:
                job.holders -= 1
                return False
            job._stop.set()
            line = self._lanes[job.lane]
            if job in line.waiting:
                line.waiting.remove(job)
                job.status, job.finished = "cancelled", time.time()
            return True

    def position(self, job: Job) -> int:
        with self._lock:
            try:
                return self._lanes[job.lane].waiting.index(job) + 1
            except ValueError:
                return 0

    def starts_in(self, job: Job) -> float | None:
        """Seconds until a queued `job` is expected to start (0 when it is not waiting), from the
        running jobs' own estimates and the usual duration of each job ahead of it, as its lane's
        slots free up; None while some job ahead has no estimate yet."""
        with self._lock:
            line = self._lanes[job.lane]
            if job not in line.waiting:
                return 0.0
            ahead = list(itertools.islice(line.waiting, line.waiting.index(job)))
            slots = [self._left(j) for j in line.running] + [0.0] * (line.max_running - len(line.running))
            for j in ahead:
                usual = self._usual(j.label, line.name)
                if usual is None:
                    return None
                slots.sort()
                slots[0] += usual  # the job ahead takes the slot that frees first
            return None if None in slots else min(slots)

    def _left(self, job: Job) -> float | None:
        eta = job.eta
        if eta is not None:
            return eta
        usual = self._usual(job.label, job.lane)
        return None if usual is None else max(0.0, usual - (time.time() - (job.started or time.time())))

    def _usual(self, label: str, lane: str) -> float | None:
        """The median duration of the latest jobs with this label, else of any in the lane."""
        times = self._durations.get(label) or self._durations.get(f"lane:{lane}")
        return sorted(times)[len(times) // 2] if times else None

    def stats(self) -> dict[str, int]:
        """Jobs running and waiting per lane, and the bytes their artifacts hold."""
        with self._lock:
            train, quick = self._lanes["train"], self._lanes["quick"]
            return {"running": len(train.running), "waiting": len(train.waiting),
                    "max_running": self.max_running, "max_queue": self.max_queue,
                    "quick_running": len(quick.running), "quick_waiting": len(quick.waiting),
                    "artifact_bytes": sum(self._held.values())}

    def _account(self, job: Job, nbytes: int) -> None:
        """A job kept an artifact of `nbytes`; drop the oldest finished jobs' past the bound."""
        with self._lock:
            self._held[job] = self._held.get(job, 0) + nbytes
            total = sum(self._held.values())
            for old in list(self._held):
                if total <= self.artifact_bytes and len(self._held) <= MAX_HELD_JOBS:
                    break
                if old is job or not old.is_terminal:
                    continue
                total -= self._held.pop(old)
                old.artifacts = {}
                old.artifacts_dropped = True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every job and the workers, waiting up to `timeout` s for them to end: a worker
        still inside torch when the interpreter exits can abort the process."""
        with self._lock:
            self._closing = True
            for line in self._lanes.values():
                for job in [*line.running, *line.waiting]:
                    job._stop.set()
            self._lock.notify_all()
        end = time.monotonic() + timeout
        for w in self._workers:
            w.join(max(0.0, end - time.monotonic()))

    def _trim(self) -> None:
        finished = [k for k, j in self._by_key.items() if j.is_terminal]
        for k in finished[: max(0, len(finished) - self._keep_finished)]:
            del self._by_key[k]

    def _work(self, line: _Lane) -> None:
        if self._thread_init is not None:
            self._thread_init()
        while True:
            with self._lock:
                while not line.waiting and not self._closing:
                    self._lock.wait()
                if self._closing:
                    return
                job = line.waiting.popleft()
                job.status = "running"
                line.running.add(job)
            try:
                job._run()
            finally:
                log.info("job %s (%s) %s: %d records, waited %.1f s, ran %.1f s", job.id, job.label, job.status,
                         len(job.records), (job.started or job.submitted) - job.submitted,
                         (job.finished or time.time()) - (job.started or time.time()))
                with self._lock:
                    line.running.discard(job)
                    if job.status in ("done", "diverged") and job.started and job.finished:
                        for name in (job.label, f"lane:{line.name}"):
                            self._durations.setdefault(name, deque(maxlen=10)).append(job.finished - job.started)
                    if job.key is not None and job.status in ("failed", "cancelled"):
                        if self._by_key.get(job.key) is job:
                            del self._by_key[job.key]  # never serve a failure from the cache
                    self._trim()
            # Streamlit's collection after every script run is off (it starved training with many
            # sessions); a job's end is where its tensors and the pages' cycles become garbage.
            gc.collect()


_default: Runner | None = None
_default_lock = threading.Lock()


def default_limit() -> int:
    """$DYNAMICS_MAX_JOBS, else 1 on a CPU (jobs would only fight for cores), 2 on a GPU."""
    env = os.environ.get(MAX_JOBS_ENV)
    if env:
        return max(1, int(env))
    import torch

    return 2 if torch.cuda.is_available() else 1


def runner() -> Runner:
    """The process-wide runner, created on first use. Its workers set torch's thread count for
    a shared server (an OpenMP setting is per thread, so each worker sets its own)."""
    global _default
    with _default_lock:
        if _default is None:
            from core.device import configure_threads

            _default = Runner(default_limit(), int(os.environ.get(MAX_QUEUE_ENV, "16")),
                              thread_init=configure_threads,
                              artifact_bytes=int(float(os.environ.get(ARTIFACT_MB_ENV, "512")) * 2**20))
        return _default


def submit(fn: JobFn, *, label: str = "", key: str | None = None, lane: str = "train", config: Any = None) -> Job:
    return runner().submit(fn, label=label, key=key, lane=lane, config=config)


def _nothing(stop: Callable[[], bool]) -> Iterator[Any]:
    return iter(())


def restored(records: list[dict], *, label: str, config: Any, status: str, finished: float | None,
             error: str | None = None, artifacts_dropped: bool = False) -> Job:
    """A job that has already ended, rebuilt from its records (a run loaded from a history file):
    it is never queued and holds no artifacts; `artifacts_dropped` says it had some (trained
    weights), so a page offers to run it again for the views that need them."""
    if status not in TERMINAL:
        raise ValueError(f"status must be one of {', '.join(TERMINAL)}, got {status!r}")
    job = Job(_nothing, label, None, runner(), config=config)
    job.status, job.error, job.records = status, error, list(records)
    job.started = job.finished = finished
    job.artifacts_dropped = artifacts_dropped
    return job
