"""The Loss-landscape lab's runs: the network trained live, keeping checkpoints of its weights
for the views; the toy arena's paths."""
from __future__ import annotations

import dataclasses
from typing import Iterator

import torch

from core import script as script_
from core.jobs import Artifact
from core.landscape import flatten
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.landscape import arena
from core.labs.landscape.config import Arena, Config
from core.models import MLP, build_mlp
from core.train import TrainSpec, train

MAX_CHECKPOINTS = 101  # weights kept over a run: 101 × 27,700 float32 = 11 MB for the default net
RUN = "network"


def flat(model: MLP) -> torch.Tensor:
    """A checkpoint: the model's parameters as one vector (P,), on the CPU (core.landscape's layout)."""
    return flatten(model).cpu()


def keep(checkpoints: list[tuple[float, torch.Tensor]]) -> list[tuple[float, torch.Tensor]]:
    """At most MAX_CHECKPOINTS: past that, every other one is dropped, the first and last kept."""
    if len(checkpoints) <= MAX_CHECKPOINTS:
        return checkpoints
    return checkpoints[:-1:2] + [checkpoints[-1]]


def trained(config: Config) -> script_.Plan:
    """The network and its training, as run() trains it and the script writes it."""
    return script_.Plan(RUN, config.spec(), TrainSpec(epochs=config.epochs, batch_size=config.batch_size,
                                                      optimizer=config.optimizer, lr=config.lr, layer_stats=False,
                                                      seed=config.seed), config.seed)


def script(config: Config) -> str:
    """The training as a script (the landscape's views are the page's)."""
    return script_.for_lab("Loss landscape", "landscape", config, [trained(config)])


def run(config: Config, stop: Stop = never) -> Iterator[dict | Artifact]:
    """Train the network, saving its weights at the start and at every epoch's end (not at the
    reports within an epoch, which come by the clock: the checkpoints, and so every view, must be
    the same for the same config); at the end the checkpoints and what rebuilds the network as
    the artifact "network"."""
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    plan = trained(config)
    model = build_mlp(loaded.input_dim, loaded.n_classes, plan.mlp, seed=plan.init_seed, device=loaded.device)
    tspec = plan.train
    checkpoints = [(0.0, flat(model))]
    last: dict = {}
    for last in tag_runs(train(model, loaded, tspec, stop=stop), run=RUN, index=0, n_runs=1,
                         parameters=sum(p.numel() for p in model.parameters())):
        if last.get("epoch_end") and last["epoch"] > checkpoints[-1][0] and last.get("train_loss") is not None:
            checkpoints = keep(checkpoints + [(last["epoch"], flat(model))])
        yield last
    if last.get("status") in ("done", "early_stopped") and not stop():
        yield Artifact("network", network(model, checkpoints))
        yield {"kind": "model", "run": RUN, "checkpoints": len(checkpoints), "progress": 1.0, "status": "done"}


def network(model: MLP, checkpoints: list[tuple[float, torch.Tensor]]) -> dict:
    """What the views need: the spec that rebuilds the network and its weights over training."""
    return {"spec": dataclasses.asdict(model.spec), "in_dim": model.linears[0].in_features,
            "n_classes": model.head.out_features, "epochs": [e for e, _ in checkpoints],
            "checkpoints": torch.stack([w for _, w in checkpoints])}  # (C, P), C[0] initial, C[-1] trained


def run_arena(config: Arena, stop: Stop = never) -> Iterator[dict]:
    yield from arena.paths(config.surface, config.condition, (config.x0, config.y0), config.steps, config.noise,
                           config.entrants(), config.seed, stop=stop)
