"""Pieces several labs share: loading data with download progress, tagging records."""
from __future__ import annotations

import threading
from typing import Any, Callable, Generator, Iterator, TypeVar

import torch

from core import data as datasets
from core import device
from core.labs.base import Stop

T = TypeVar("T")


def load(config: Any, stop: Stop) -> Generator[dict, None, datasets.Data | None]:
    """The config's dataset (split by its seed) on its device, as `load_data` gives it."""
    return (yield from load_data(config.dataset, seed=config.seed, device=device.pick(config.device), stop=stop))


def load_data(name: str, *, seed: int, device: torch.device, stop: Stop, size: int | None = None,
              noise: float = 0.1) -> Generator[dict, None, datasets.Data | None]:
    """Load a dataset, yielding {"kind": "download", ...} records while a download runs.

    Returns the Data (via StopIteration), or None when stopped during the download.
    Raises DatasetUnavailable when the set is not cached and cannot be fetched.
    """
    if datasets.is_cached(name):
        return datasets.load(name, seed=seed, size=size, noise=noise, device=device)
    state = {"done": 0, "total": 0, "error": None}

    def fetch() -> None:
        try:
            datasets.download(name, progress=lambda d, t: state.update(done=d, total=t))
        except Exception as exc:  # handed to the job's thread below
            state["error"] = exc

    worker = threading.Thread(target=fetch, daemon=True, name=f"download-{name}")
    worker.start()
    while worker.is_alive():
        if stop():
            return None  # the download finishes in the background and is cached for next time
        yield {"kind": "download", "dataset": name, "bytes": state["done"], "total": state["total"],
               "progress": 0.0, "status": "running"}
        worker.join(0.25)
    if state["error"] is not None:
        raise state["error"]
    return datasets.load(name, seed=seed, size=size, noise=noise, device=device)


def tag_runs(records: Iterator[dict], *, run: str, index: int, n_runs: int,
             **extra) -> Iterator[dict]:
    """Label training records with their run and turn per-run progress into job progress."""
    for rec in records:  # the training loop itself ends on stop, with a "cancelled" record
        yield {**rec, "kind": "train", "run": run, "run_index": index,
               "progress": (index + rec["progress"]) / n_runs, **extra}


def in_background(compute: Callable[[Callable[[float], None], Stop], T], stop: Stop, *, every: float = 0.25,
                  **extra: Any) -> Generator[dict, None, T | None]:
    """Run compute(progress, stop) in a thread of its own, yielding {"progress": share, **extra}
    records while it runs, so a job can show the progress of one long call (scipy's Lanczos, a
    batched grid) that cannot yield itself. Returns its result (None when stopped first); an
    exception it raised is raised here."""
    state: dict[str, Any] = {"share": 0.0, "result": None, "error": None}

    def progress(share: float) -> None:
        state["share"] = share

    def work() -> None:
        device.configure_threads()  # torch's CPU thread count is held per thread: the job's own
        try:
            state["result"] = compute(progress, stop)
        except BaseException as exc:  # handed to the job's thread below
            state["error"] = exc

    worker = threading.Thread(target=work, daemon=True, name="job-compute")
    worker.start()
    while worker.is_alive():
        yield {"progress": state["share"], "status": "running", **extra}
        worker.join(every)
    if state["error"] is not None and not stop():
        raise state["error"]
    return None if stop() else state["result"]
