"""The Optimizer-race lab's run: every optimizer × seed in one vectorized pass, or one after
another when the net has normalization layers or an optimizer needs a second-order backward."""
from __future__ import annotations

from typing import Iterator

from core import script as script_
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.optimizer_race.config import Config
from core.models import build_mlp
from core.race import stacks, train_race, vectorizable
from core.train import train


def path(config: Config) -> str:
    """'vectorized' or 'sequential': how this race will be trained. Normalization layers keep
    per-model running statistics, and Hessian-based optimizers (Sophia) need a second-order
    backward, which does not go through the stacked gradient: both race one model at a time."""
    if not vectorizable(config.spec()):
        return "sequential"
    if not all(stacks(n) for n in config.optimizers):
        return "sequential"
    return "vectorized"


def plans(config: Config) -> list[script_.Plan]:
    """Every optimizer × seed trained alone: what the sequential path trains, and what the
    vectorized one trains stacked."""
    return script_.stacked_plans(config.spec(), config.entrants(), range(config.seed, config.seed + config.seeds),
                                 epochs=config.epochs, batch_size=config.batch_size)


def script(config: Config) -> str:
    note = script_.stacked_note() if path(config) == "vectorized" else ""
    return script_.for_lab("Optimizer race", "optimizer_race", config, plans(config), note=note)


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    dev = loaded.device
    seeds = [config.seed + i for i in range(config.seeds)]
    how = path(config)
    if how == "vectorized":
        for rec in train_race(loaded, config.spec(), config.entrants(), seeds, epochs=config.epochs,
                              batch_size=config.batch_size, stop=stop):
            yield {**rec, "path": how}
        return
    members = [(e, s) for e in config.entrants() for s in seeds]
    for i, ((entrant, seed), plan) in enumerate(zip(members, plans(config))):
        model = build_mlp(loaded.input_dim, loaded.n_classes, plan.mlp, seed=plan.init_seed, device=dev)
        yield from tag_runs(train(model, loaded, plan.train, stop=stop), run=plan.label, index=i,
                            n_runs=len(members), entrant=entrant.name, optimizer=entrant.optimizer,
                            seed=seed, path=how)
        if stop():
            return
