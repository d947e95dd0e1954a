"""The learning-rate sweep's run: every optimizer × rate × seed cell, in this process on the
race engine, or on Ray when there is a cluster (core.cluster)."""
from __future__ import annotations

from typing import Iterator

from core import cluster, device, sweep
from core import script as script_
from core.labs.base import Stop, never
from core.labs.common import load
from core.labs.lr_sweep import tables
from core.labs.lr_sweep.config import Config


def plans(config: Config) -> list[script_.Plan]:
    """Every cell trained alone: what the sweep trains stacked, chunk by chunk."""
    grid = config.grid()
    return script_.stacked_plans(config.spec(), grid.entrants(), grid.seeds, epochs=config.epochs,
                                 batch_size=config.batch_size)


def script(config: Config) -> str:
    return script_.for_lab("Learning-rate sweep", "lr_sweep", config, plans(config), note=script_.stacked_note())


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    remote = cluster.for_sweeps()  # Ray only when this process has joined one or $RAY_ADDRESS names one
    where = remote.info.describe() if remote else f"this process, {device.describe(loaded.device)}"
    grid = config.grid()
    yield {"kind": "where", "where": where, "cells": grid.cells, "progress": 0.0, "status": "running"}
    yield from sweep.run(loaded, config.spec(), grid, epochs=config.epochs, batch_size=config.batch_size, stop=stop,
                         remote=remote)


def race_at_best(config: Config, records: list[dict]):
    """The optimizer race of the sweep's optimizers, each at its best rate on the mean over seeds,
    on the sweep's network, data, batches, epochs and seeds."""
    from core.labs.optimizer_race.config import Config as Race

    best = tables.best_rates(records)
    if not best:
        raise ValueError("no cell has ended yet: the race needs each optimizer's best rate")
    names = tuple(n for n in config.optimizers if n in best)
    return Race(optimizers=names, lr_mode="usual", settings=tuple(f"{n}:lr={best[n]!r}" for n in names),
                depth=config.depth, width=config.width, activation=config.activation, init=config.init,
                batch_size=config.batch_size, epochs=config.epochs, seeds=config.seeds, dataset=config.dataset,
                seed=config.seed, device=config.device)
