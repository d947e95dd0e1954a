"""Optimizer race: optimizers trained side by side on the same start and the same batches,
several seeds at once, in one vectorized pass (one after another when the net has
normalization layers, whose running statistics cannot be stacked)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from core import activations, device, init, optim
from core.experiments import base
from core.experiments.common import Stop, load_data, never, tag_runs
from core.models import MLPSpec, NORMS, build_mlp
from core.race import Entrant, train_race, vectorizable
from core.train import TrainSpec, train

CLASSIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw")


@dataclass(frozen=True)
class Config:
    optimizers: tuple = base.param(CLASSIC, "optimizers racing", lo=1, hi=16, item_choices=optim.names)
    lr_mode: str = base.param("usual", "'usual': each at its usual rate; 'same': all at lr", choices=("usual", "same"))
    lr: float = base.param(0.05, "learning rate for all when lr_mode is 'same'", lo=1e-6, hi=10.0)
    dataset: str = base.dataset_param()
    depth: int = base.param(3, "hidden layers", lo=1, hi=20)
    width: int = base.param(100, "units per hidden layer", lo=1, hi=1024)
    activation: str = base.param("relu", "activation", choices=activations.names)
    init: str = base.param("he_normal", "initializer", choices=init.names)
    norm: str = base.param("none", "normalization; any but none trains the models one by one", choices=NORMS)
    batch_size: int = base.param(32, "examples per step", lo=1, hi=4096)
    epochs: int = base.param(10, "passes over the train split", lo=1, hi=100)
    seeds: int = base.param(1, "initializations per optimizer (seed, seed+1, ...)", lo=1, hi=10)
    seed: int = base.seed_param()
    device: str = base.device_param()

    def __post_init__(self) -> None:
        base.validate(self)
        if len(set(self.optimizers)) != len(self.optimizers):
            raise ValueError(f"optimizers must not repeat, got {self.optimizers}")

    def entrants(self) -> list[Entrant]:
        return [Entrant(name, optim.get(name).usual_lr if self.lr_mode == "usual" else self.lr)
                for name in self.optimizers]

    def spec(self) -> MLPSpec:
        return MLPSpec(self.depth, self.width, self.activation, init=self.init, norm=self.norm)


def path(config: Config) -> str:
    """'vectorized' or 'sequential': how this race will be trained."""
    return "vectorized" if vectorizable(config.spec()) else "sequential"


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    seeds = [config.seed + i for i in range(config.seeds)]
    how = path(config)
    if how == "vectorized":
        for rec in train_race(loaded, config.spec(), config.entrants(), seeds, epochs=config.epochs,
                              batch_size=config.batch_size, stop=stop):
            yield {**rec, "path": how}
        return
    members = [(e, s) for e in config.entrants() for s in seeds]
    for i, (entrant, seed) in enumerate(members):
        model = build_mlp(loaded.input_dim, loaded.n_classes, config.spec(), seed=seed, device=dev)
        tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, optimizer=entrant.optimizer,
                          lr=entrant.lr, layer_stats=False, seed=0)  # seed 0: one batch order for all
        yield from tag_runs(train(model, loaded, tspec, stop=stop), run=f"{entrant.name} (seed {seed})", index=i,
                            n_runs=len(members), stop=stop, entrant=entrant.name, optimizer=entrant.optimizer,
                            seed=seed, path=how)
        if stop():
            return


base.EXPERIMENTS.add("optimizer_race", base.Experiment(
    "optimizer_race", "Optimizer race",
    "optimizers side by side from the same start on the same batches, several seeds, one vectorized pass",
    Config, run))
