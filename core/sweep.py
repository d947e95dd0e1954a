"""Learning-rate sweeps: every optimizer across a log-spaced range of learning rates and several
seeds, so that optimizers are compared each at its best rather than all at one rate.

A cell is one (optimizer, rate, seed). Cells train on the race engine (`core.race.train_race`):
each (optimizer, rate) is an entrant with its own optimizer, each seed a parameter group of it,
so a chunk of entrants trains in one vectorized pass from the same starts on the same batches.
Chunks are as large as `max_models` allows; a chunk's numbers do not depend on what else is in it.

`good_region` gives the headline: each optimizer's best rate (on the mean over seeds) and the
width, in decades, of the contiguous span of rates around it whose mean accuracy is within a
point of the best, its ends interpolated in log-rate between grid points.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import torch

from core import optim
from core.data import Data
from core.models import MLPSpec
from core.race import Entrant, stacks, train_race

MAX_POINTS, MIN_POINTS = 25, 5  # rates per optimizer
MAX_CELLS = 2_000  # optimizer × rate × seed cells in one sweep, unless the server says otherwise
MAX_CELL_EPOCHS = 20_000  # cells × epochs, unless the server says otherwise
CELLS_ENV, CELL_EPOCHS_ENV = "DYNAMICS_SWEEP_MAX_CELLS", "DYNAMICS_SWEEP_MAX_CELL_EPOCHS"
WITHIN = 0.01  # the good region: mean accuracy within one point of the best


FLOOR = (100, 500)  # limits a server cannot go below: the lab's default sweep (90 cells × 5 epochs) must run


def limits() -> tuple[int, int]:
    """The largest sweep this server takes: (cells, cells × epochs), from its settings, never
    below FLOOR."""
    return (max(FLOOR[0], int(os.environ.get(CELLS_ENV) or MAX_CELLS)),
            max(FLOOR[1], int(os.environ.get(CELL_EPOCHS_ENV) or MAX_CELL_EPOCHS)))


def check_work(cells: int, epochs: int) -> None:
    """ValueError, saying what to change, for a sweep longer than this server takes."""
    most = limits()[1]
    if cells * epochs > most:
        raise ValueError(f"{cells:,} cells × {epochs} epochs is {cells * epochs:,} cell-epochs; this server takes at "
                         f"most {most:,}: fewer optimizers, rates, seeds or epochs")


def stackable(names: tuple) -> None:
    """Refuse, saying why, an optimizer the stacked sweep cannot train (unknown names are left to
    the caller's own check)."""
    for name in names:
        if name in optim.OPTIMIZERS and not stacks(name):
            raise ValueError(f"{optim.get(name).label} needs a second-order backward, which the stacked sweep does "
                             "not take; leave it out")


@dataclass(frozen=True)
class Grid:
    """The cells of a sweep: optimizers × log-spaced rates from `lo` to `hi` × seeds."""

    optimizers: tuple[str, ...]
    lo: float  # lowest learning rate
    hi: float  # highest learning rate
    points: int  # rates, log-spaced, both ends included
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        stackable(self.optimizers)
        if not self.optimizers or len(set(self.optimizers)) != len(self.optimizers):
            raise ValueError("name each optimizer once, at least one")
        if not (0 < self.lo < self.hi <= 100 and math.isfinite(self.hi)):
            raise ValueError(f"the rates must satisfy 0 < lo < hi <= 100, got {self.lo:g} and {self.hi:g}")
        if not MIN_POINTS <= self.points <= MAX_POINTS:
            raise ValueError(f"points must be {MIN_POINTS}..{MAX_POINTS}, got {self.points}")
        if not self.seeds:
            raise ValueError("at least one seed")
        if self.cells > limits()[0]:
            raise ValueError(f"{len(self.optimizers)} optimizers × {self.points} rates × {len(self.seeds)} seeds is "
                             f"{self.cells:,} cells; this server takes at most {limits()[0]:,}")

    def rates(self) -> list[float]:
        return np.logspace(math.log10(self.lo), math.log10(self.hi), self.points).tolist()

    @property
    def cells(self) -> int:
        return len(self.optimizers) * self.points * len(self.seeds)

    def entrants(self) -> list[Entrant]:
        """One entrant per (optimizer, rate), labelled 'Adam @ 0.001'."""
        return [Entrant(name, lr, label=f"{optim.get(name).label} @ {lr:.3g}")
                for name in self.optimizers for lr in self.rates()]


CPU_CHUNK_PARAMS = 2_000_000  # parameters in one stacked pass on a CPU (see models_per_pass)


def models_per_pass(spec: MLPSpec, in_dim: int, out_dim: int, budget_bytes: int = 256 * 2**20,
                    device: torch.device | str = "cpu") -> int:
    """How many models one stacked pass may hold: within `budget_bytes` (each float32 parameter
    with its gradient and up to three optimizer buffers, as Adan keeps) and, on a CPU, within
    CPU_CHUNK_PARAMS parameters. Past about that many a CPU pass is bound by memory traffic: on
    digits at batch 32, 144 3x100 MLPs (28k parameters each) trained at 50 cells/s in one pass
    and at 89 in passes of 72 (`python -m benchmarks.bench_sweep --chunks`)."""
    params = (in_dim + 1) * spec.width + (spec.depth - 1) * (spec.width + 1) * spec.width + (spec.width + 1) * out_dim
    most = budget_bytes // (params * 4 * 5)
    if torch.device(device).type == "cpu":
        most = min(most, CPU_CHUNK_PARAMS // params)
    return max(1, most)


def chunks(entrants: list[Entrant], seeds: int, max_models: int) -> list[list[Entrant]]:
    """Entrants in groups whose models (entrants × seeds) fit in one pass."""
    per = max(1, max_models // seeds)
    return [entrants[i:i + per] for i in range(0, len(entrants), per)]


def train_chunk(data: Data, spec: MLPSpec, group: list[Entrant], seeds: list[int], *, epochs: int,
                batch_size: int = 32, stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """One chunk's cells in one stacked pass: a record per cell at initialization (epoch 0) and
    at each epoch end (status "running"), and its last (done, diverged or cancelled), with the
    chunk's own progress."""
    by_name = {e.name: e for e in group}
    for rec in train_race(data, spec, group, seeds, epochs=epochs, batch_size=batch_size, report_seconds=0,
                          stop=stop):
        entrant = by_name[rec["entrant"]]
        yield {"kind": "cell", "run": f"{entrant.name} (seed {rec['seed']})", "optimizer": entrant.optimizer,
               "lr": entrant.lr, "seed": rec["seed"], "status": rec["status"], "val_loss": rec.get("val_loss"),
               "val_acc": rec.get("val_acc"), "epoch": rec.get("epoch"), "epoch_end": rec["epoch_end"],
               "message": rec.get("message", ""), "chunk_progress": rec["progress"]}


def run(data: Data, spec: MLPSpec, grid: Grid, *, epochs: int, batch_size: int = 32, max_models: int | None = None,
        stop: Callable[[], bool] | None = None, remote: Any = None) -> Iterator[dict]:
    """Train every cell, yielding its records as they come (see `train_chunk`), each with the
    sweep's progress. In this process chunk after chunk; with `remote` (a core.cluster.Remote),
    in smaller chunks sent to its workers, their records coming back as each chunk ends."""
    max_models = max_models or models_per_pass(spec, data.input_dim, data.n_classes, device=data.device)
    seeds, done = list(grid.seeds), 0
    if remote is not None:
        max_models = min(max_models, remote.chunk_models(grid.cells))
    groups = chunks(grid.entrants(), len(seeds), max_models)
    if remote is not None:
        for rec in remote.run(data, spec, groups, seeds, epochs=epochs, batch_size=batch_size, stop=stop):
            done += rec["status"] != "running"
            yield {**rec, "progress": done / grid.cells}
        return
    for group in groups:
        size = len(group) * len(seeds)
        for rec in train_chunk(data, spec, group, seeds, epochs=epochs, batch_size=batch_size, stop=stop):
            done += rec["status"] != "running"
            share = done if rec["status"] != "running" else done + rec["chunk_progress"] * size
            yield {**rec, "progress": min(share, grid.cells) / grid.cells}
        if stop is not None and stop():
            return


def finals(records: list[dict]) -> list[dict]:
    """Each cell's latest record (its final one once it has ended), in the order cells first
    reported."""
    latest: dict[tuple, dict] = {}
    for r in records:
        if r.get("kind") == "cell":
            latest[(r["optimizer"], r["lr"], r["seed"])] = r
    return list(latest.values())


@dataclass(frozen=True)
class Region:
    """An optimizer's best rate and its good region (rates as log10)."""

    best: int  # index of the best rate on the grid
    best_mean: float  # its mean accuracy over seeds
    left: float  # log10 of the region's lower end, interpolated
    right: float  # log10 of its upper end
    at_edge: bool  # the region reaches the grid's end: its width is a lower bound

    @property
    def width(self) -> float:
        """The region's width in decades of learning rate."""
        return self.right - self.left


def good_region(log_rates: list[float], means: list[float | None], within: float = WITHIN) -> Region:
    """The best mean and the contiguous span of rates around it whose mean is within `within` of
    it; each end lies where the mean crosses best - within, linearly interpolated in log-rate
    between the last grid point inside and the first outside. A failed rate (None, NaN) counts
    as accuracy 0."""
    m = [0.0 if v is None or not math.isfinite(v) else float(v) for v in means]
    best = int(np.argmax(m))
    threshold = m[best] - within

    def end(step: int) -> tuple[float, bool]:
        i = best
        while 0 <= i + step < len(m) and m[i + step] >= threshold:
            i += step
        if not 0 <= i + step < len(m):
            return log_rates[i], True
        x_in, x_out, m_in, m_out = log_rates[i], log_rates[i + step], m[i], m[i + step]
        return x_in + (x_out - x_in) * (m_in - threshold) / (m_in - m_out), False

    (left, left_edge), (right, right_edge) = end(-1), end(1)
    return Region(best, m[best], left, right, left_edge or right_edge)


FAILED = ("diverged", "cancelled", "failed")  # a cell that ended without a result


def table(cells: list[dict], metric: str = "accuracy") -> pd.DataFrame:
    """Per optimizer and rate, over the latest record of each of its seeds: the mean, std, min
    and max of the validation accuracy or loss (a running cell with its figure so far), how many
    seeds failed (diverged, cancelled or lost) and how many have ended. A failed cell counts as
    accuracy 0 and has no loss: a rate whose seeds all failed has no loss row."""
    df = pd.DataFrame(finals(cells), columns=["optimizer", "lr", "seed", "status", "val_acc", "val_loss"])
    df["failed"] = df["status"].isin(FAILED)
    df["ended"] = df["status"] != "running"
    if metric == "accuracy":
        df["value"] = df["val_acc"].where(~df["failed"], 0.0).fillna(0.0).astype(float)
    else:
        df["value"] = pd.to_numeric(df["val_loss"].where(~df["failed"]), errors="coerce")
    out = df.groupby(["optimizer", "lr"], sort=False).agg(mean=("value", "mean"), std=("value", "std"),
                                                          min=("value", "min"), max=("value", "max"),
                                                          seeds=("seed", "count"), failed=("failed", "sum"),
                                                          ended=("ended", "sum"))
    return out.reset_index().dropna(subset=["mean"]).fillna({"std": 0.0})


def leaderboard(cells: list[dict]) -> pd.DataFrame:
    """Per optimizer: its best rate on the mean over seeds, that mean, and its good region (the
    width in decades is the headline: how touchy the optimizer is about its rate), with how many
    of its cells failed and ended. An optimizer whose every cell failed has no best rate and no
    region (NaN)."""
    rows = []
    for name, group in table(cells).groupby("optimizer", sort=False):
        group = group.sort_values("lr")
        counts = {"failed cells": int(group["failed"].sum()), "cells ended": int(group["ended"].sum())}
        if counts["cells ended"] and counts["failed cells"] == group["seeds"].sum():
            rows.append({"optimizer": name, "best lr": math.nan, "best mean": 0.0, "good from": math.nan,
                         "good to": math.nan, "width (decades)": math.nan, "at the grid's edge": False, **counts})
            continue
        region = good_region([math.log10(v) for v in group["lr"]], group["mean"].tolist())
        rows.append({"optimizer": name, "best lr": float(group["lr"].iloc[region.best]), "best mean": region.best_mean,
                     "good from": 10 ** region.left, "good to": 10 ** region.right, "width (decades)": region.width,
                     "at the grid's edge": region.at_edge, **counts})
    return pd.DataFrame(rows).sort_values("best mean", ascending=False, ignore_index=True)
