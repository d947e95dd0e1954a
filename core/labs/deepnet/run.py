"""The Deep-net lab's run: every configuration in turn, from the same seed on the same batches,
with per-layer weight norms and sparsity; on a 2-D set, each run's latest decision boundary."""
from __future__ import annotations

from typing import Iterator

from core import device
from core import script as script_
from core.jobs import Artifact
from core.labs.base import Stop, never
from core.labs.common import load_data, tag_runs
from core.labs.deepnet import boundary
from core.labs.deepnet.config import Config, is_planar
from core.models import build_mlp
from core.train import TrainSpec, train


def plans(config: Config) -> list[script_.Plan]:
    """Every configuration's network and training, as run() trains them and the script writes them."""
    return [script_.Plan(spec.label, spec.mlp(config.depth, config.width),
                         TrainSpec(epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
                                   eval_train=True, seed=config.seed, **spec.training(config.optimizer, config.lr)),
                         config.seed) for spec in config.specs()]


def script(config: Config) -> str:
    """The runs as a script (the decision boundaries are the page's)."""
    data_plan = script_.DataPlan(config.dataset, config.seed, config.data_size(), config.noise, device=config.device)
    return script_.for_lab("Deep nets: normalization and regularization", "deepnet", config, plans(config),
                           data_plan=data_plan)


def run(config: Config, stop: Stop = never) -> Iterator[dict | Artifact]:
    """Train every configuration in turn. On a 2-D set, the artifact "points" holds the train
    points and "grid/<run>" the run's decision boundary at its latest report (replaced at each)."""
    loaded = yield from load_data(config.dataset, seed=config.seed, device=device.pick(config.device), stop=stop,
                                  size=config.data_size(), noise=config.noise)
    if loaded is None:
        return
    planar = is_planar(config.dataset)
    if planar:
        bounds = boundary.extent(loaded)
        yield Artifact("points", boundary.points(loaded, config.seed))
    for i, (spec, plan) in enumerate(zip(config.specs(), plans(config))):
        model = build_mlp(loaded.input_dim, loaded.n_classes, plan.mlp, seed=plan.init_seed, device=loaded.device)
        for rec in tag_runs(train(model, loaded, plan.train, stop=stop), run=spec.label, index=i,
                            n_runs=len(config.runs), config=spec.text(), chance=1 / loaded.n_classes):
            if planar:  # the model is at this report's state while the record is handled
                yield Artifact(f"grid/{spec.label}", boundary.grid(model, loaded, bounds))
            yield rec
        if stop():
            return
