"""Pieces several experiments share: the race labs' network fields, loading data with download
progress, tagging records."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Generator, Iterator

import torch

from core import activations, init
from core import data as datasets
from core.experiments import base
from core.models import MLPSpec

Stop = Callable[[], bool]


@dataclass(frozen=True)
class RaceNet:
    """Config fields of the labs that race models on the race engine (optimizer race, schedules,
    LR finder): the data, the 3×100 ReLU He MLP of the chapter, batching, seed and device."""

    dataset: str = base.dataset_param()
    depth: int = base.param(3, "hidden layers", lo=1, hi=20)
    width: int = base.param(100, "units per hidden layer", lo=1, hi=1024)
    activation: str = base.param("relu", "activation", choices=activations.names)
    init: str = base.param("he_normal", "initializer", choices=init.names)
    batch_size: int = base.param(32, "examples per step", lo=1, hi=4096)
    seed: int = base.seed_param()
    device: str = base.device_param()

    def spec(self) -> MLPSpec:
        return MLPSpec(self.depth, self.width, self.activation, init=self.init)


def never() -> bool:
    return False


def load_data(name: str, *, seed: int, device: torch.device, stop: Stop,
              size: int | None = None) -> Generator[dict, None, datasets.Data | None]:
    """Load a dataset, yielding {"kind": "download", ...} records while a download runs.

    Returns the Data (via StopIteration), or None when stopped during the download.
    Raises DatasetUnavailable when the set is not cached and cannot be fetched.
    """
    if datasets.is_cached(name):
        return datasets.load(name, seed=seed, size=size, device=device)
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
        total = state["total"]
        yield {"kind": "download", "dataset": name, "bytes": state["done"], "total": total,
               "progress": 0.0, "status": "running"}
        worker.join(0.25)
    if state["error"] is not None:
        raise state["error"]
    return datasets.load(name, seed=seed, size=size, device=device)


def tag_runs(records: Iterator[dict], *, run: str, index: int, n_runs: int,
             **extra) -> Iterator[dict]:
    """Label training records with their run and turn per-run progress into job progress."""
    for rec in records:  # the training loop itself ends on stop, with a "cancelled" record
        yield {**rec, "kind": "train", "run": run, "run_index": index,
               "progress": (index + rec["progress"]) / n_runs, **extra}

