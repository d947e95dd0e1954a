"""The Learning-rate-schedules lab's runs: schedules racing on the race engine, and the range test."""
from __future__ import annotations

from typing import Iterator

from core import script as script_
from core.labs.base import Stop, never
from core.labs.common import load
from core.labs.schedules import finder
from core.labs.schedules.config import Config, FinderConfig
from core.models import build_mlp
from core.race import train_race


def plans(config: Config) -> list[script_.Plan]:
    """Every schedule × seed trained alone, as the race engine trains them stacked."""
    return script_.stacked_plans(config.spec(), config.entrants(), range(config.seed, config.seed + config.seeds),
                                 epochs=config.epochs, batch_size=config.batch_size)


def script(config: Config) -> str:
    return script_.for_lab("Learning-rate schedules", "schedules", config, plans(config), note=script_.stacked_note())


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    seeds = [config.seed + i for i in range(config.seeds)]
    yield from train_race(loaded, config.spec(), config.entrants(), seeds, epochs=config.epochs,
                          batch_size=config.batch_size, stop=stop)


def run_finder(config: FinderConfig, stop: Stop = never) -> Iterator[dict]:
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    dev = loaded.device
    model = build_mlp(loaded.input_dim, loaded.n_classes, config.spec(), seed=config.seed, device=dev)
    spec = finder.FinderSpec(start=config.start_lr, end=config.end_lr, steps=config.steps,
                             batch_size=config.batch_size, blowup=config.blowup, smoothing=config.smoothing,
                             optimizer=config.optimizer, seed=config.seed)
    yield from finder.range_test(model, loaded, spec, stop=stop)
