"""The Dropout lab's run: one network per rate, from the same weights on the same batches; the
trained weights of each are handed over as an artifact for the MC view."""
from __future__ import annotations

import dataclasses
from typing import Iterator


from core import data
from core import script as script_
from core.jobs import Artifact
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.dropout.config import Config
from core.models import MLP, build_mlp
from core.train import TrainSpec, train


def train_subset(loaded: data.Data, size: int) -> data.Data:
    """The first `size` train examples (the split is already in random order); the rest stay."""
    return dataclasses.replace(loaded, train=data.Split(loaded.train.x[:size], loaded.train.y[:size]))


def plans(config: Config) -> list[script_.Plan]:
    """One network per rate from the same weights on the same batches, as run() trains them and
    the script writes them."""
    tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                      layer_stats=False, eval_train=True, seed=config.seed)
    return [script_.Plan(label, config.spec(rate), tspec, config.seed)
            for rate, label in zip(config.rates, config.labels())]


def script(config: Config) -> str:
    """The training runs as a script (the MC-dropout view is the page's)."""
    data_plan = script_.DataPlan(config.dataset, config.seed, train_size=config.train_size, device=config.device)
    return script_.for_lab("Dropout", "dropout", config, plans(config), data_plan=data_plan)


def run(config: Config, stop: Stop = never) -> Iterator[dict | Artifact]:
    """Train one network per rate from the same weights on the same batches; after each that
    finished, its weights as the artifact weights/<run> and a record of kind "model" saying so."""
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    dev = loaded.device
    small = train_subset(loaded, config.train_size)
    n = len(config.rates)
    for i, (rate, plan) in enumerate(zip(config.rates, plans(config))):
        label = plan.label
        model = build_mlp(small.input_dim, small.n_classes, plan.mlp, seed=plan.init_seed, device=dev)
        last: dict = {}
        for last in tag_runs(train(model, small, plan.train, stop=stop), run=label, index=i, n_runs=n,
                             rate=rate, train_size=len(small.train)):
            yield last
        if stop():
            return
        if last.get("status") == "done":
            yield Artifact(f"weights/{label}", weights(model))
            yield {"kind": "model", "run": label, "rate": rate, "progress": (i + 1) / n, "status": "done"}


def weights(model: MLP) -> dict:
    """The trained weights (on the CPU) with what rebuilds the network."""
    return {"spec": dataclasses.asdict(model.spec), "in_dim": model.linears[0].in_features,
            "n_classes": model.head.out_features,
            "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}


def trained(records: list[dict]) -> dict[str, float]:
    """Run label -> dropout rate, for the networks whose training finished (weights handed over)."""
    return {r["run"]: r["rate"] for r in records if r.get("kind") == "model"}
