"""The Vanishing-gradients lab's run: every configuration trained in turn on the same data,
seed and batch order, with per-layer gradients and activation statistics."""
from __future__ import annotations

from typing import Iterator

from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.vanishing.config import Config
from core.models import build_mlp
from core.train import TrainSpec, train


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train every configuration in turn on the same data, seed and batch order."""
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    dev = loaded.device
    for i, spec in enumerate(config.specs()):
        model = build_mlp(loaded.input_dim, loaded.n_classes, spec.mlp(config.depth, config.width),
                          seed=config.seed, device=dev)
        tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, track_activations=True,
                          seed=config.seed, **spec.training(config.optimizer, config.lr))
        yield from tag_runs(train(model, loaded, tspec, stop=stop), run=spec.label, index=i,
                            n_runs=len(config.runs), depth=config.depth, chance=1 / loaded.n_classes)
        if stop():
            return
