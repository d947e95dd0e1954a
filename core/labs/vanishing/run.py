"""The Vanishing-gradients lab's run: every configuration trained in turn on the same data,
seed and batch order, with per-layer gradients and activation statistics."""
from __future__ import annotations

from typing import Iterator

from core import script as script_
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.vanishing.config import Config
from core.models import build_mlp
from core.train import TrainSpec, train


def plans(config: Config) -> list[script_.Plan]:
    """Every configuration's network and training, as run() trains them and the script writes them."""
    return [script_.Plan(spec.label, spec.mlp(config.depth, config.width),
                         TrainSpec(epochs=config.epochs, batch_size=config.batch_size, track_activations=True,
                                   seed=config.seed, **spec.training(config.optimizer, config.lr)), config.seed)
            for spec in config.specs()]


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train every configuration in turn on the same data, seed and batch order."""
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    for i, plan in enumerate(plans(config)):
        model = build_mlp(loaded.input_dim, loaded.n_classes, plan.mlp, seed=plan.init_seed, device=loaded.device)
        yield from tag_runs(train(model, loaded, plan.train, stop=stop), run=plan.label, index=i,
                            n_runs=len(config.runs), depth=config.depth, chance=1 / loaded.n_classes)
        if stop():
            return


def script(config: Config) -> str:
    return script_.for_lab("Vanishing gradients", "vanishing", config, plans(config))
