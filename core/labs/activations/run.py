"""The Activations lab's run: the same net trained once per activation (He init for all), the
share of dead units per layer measured at every report."""
from __future__ import annotations

from typing import Iterator

import torch
from torch import nn

from core import activations
from core import script as script_
from core.labs.activations.config import Config
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.models import MLPSpec, build_mlp
from core.train import PROBE_SIZE, TrainSpec, train

DEAD_SLOPE = 1e-3  # |f'| below this on every probe example: the unit gets no gradient


def dead_shares(model: nn.Module, probe: torch.Tensor, activation: str) -> list[float]:
    """Per hidden layer, the share of units with |f'(z)| < DEAD_SLOPE on every probe example."""
    was_training = model.training
    model.eval()
    pre: list[torch.Tensor] = []
    with torch.no_grad():
        model(probe, capture_pre=pre)  # each (B, width)
    model.train(was_training)
    # derivative() needs autograd, so it runs outside no_grad
    slopes = [activations.derivative(activation, z)[1].abs().amax(0) for z in pre]  # each (width,)
    return torch.stack([s.lt(DEAD_SLOPE).float().mean() for s in slopes]).tolist() if slopes else []


def _with_dead(records: Iterator[dict], model: nn.Module, probe: torch.Tensor, activation: str) -> Iterator[dict]:
    """Add `dead_grad` to each hidden layer's row, measured on the model as it is at the report."""
    last: list[dict] = []
    for rec in records:
        if rec.get("layers"):
            if rec.get("status") != "cancelled":  # a cancelled record repeats the last report
                shares = dead_shares(model, probe, activation)
                last = [{**row, "dead_grad": shares[i]} if i < len(shares) else row
                        for i, row in enumerate(rec["layers"])]
            rec = {**rec, "layers": last}
        yield rec


def plans(config: Config) -> list[script_.Plan]:
    """One net per activation (He init for all), as run() trains them and the script writes them."""
    tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer,
                      lr=config.lr, track_activations=True, seed=config.seed)
    return [script_.Plan(activations.get(name).label, MLPSpec(config.depth, config.width, name, init="he_normal"),
                         tspec, config.seed) for name in config.activations]


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train one net per activation on the same data, initial seed and batch order (He init)."""
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    dev = loaded.device
    probe = loaded.features(loaded.valid.x[:PROBE_SIZE])  # the probe train() uses for `dead`
    for i, (name, plan) in enumerate(zip(config.activations, plans(config))):
        model = build_mlp(loaded.input_dim, loaded.n_classes, plan.mlp, seed=plan.init_seed, device=dev)
        records = _with_dead(train(model, loaded, plan.train, stop=stop), model, probe, name)
        yield from tag_runs(records, run=plan.label, index=i, n_runs=len(config.activations),
                            activation=name, depth=config.depth, chance=1 / loaded.n_classes)
        if stop():
            return


def script(config: Config) -> str:
    return script_.for_lab("Activation functions", "activations", config, plans(config))
