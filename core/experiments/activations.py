"""Dying ReLU: the same net trained with several activations; dead units per layer watched live.

A unit is dead when no gradient reaches it: |f'(z)| < DEAD_SLOPE for every example of the
validation probe, f' taken by autograd. For ReLU that is "never positive"; a leaky-ReLU unit
that is never positive still passes α of the gradient and can come back, so it is not dead.

Defaults measured on digits (seeds 0-3): Adam at lr 0.01, depth 6, width 100, batch 32,
10 epochs, He init for every activation. 15-17% of the ReLU units die, most of them in the
first epoch; leaky ReLU and GELU lose none and ELU at most 0.3%, and all four still learn
(82-98% validation accuracy at the last epoch). At lr 0.02, 32-43% of the ReLU units die but
ELU (14-27%) and GELU (7-40%) lose units too, so the contrast blurs; only leaky ReLU, whose
slope is never 0, loses none. Plain SGD at lr 0.5 kills 1-12% of the ReLU units, and most of
those runs diverge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pandas as pd
import torch
from torch import nn

from core import activations, device, optim
from core.experiments import base
from core.experiments.common import Stop, load_data, never, tag_runs
from core.frames import latest_layers, layers
from core.models import MLPSpec, build_mlp
from core.train import PROBE_SIZE, TrainSpec, train

DEAD_SLOPE = 1e-3  # |f'| below this on every probe example: the unit gets no gradient


@dataclass(frozen=True)
class Config:
    activations: tuple = base.param(("relu", "leaky_relu", "elu", "gelu"), "activations trained side by side",
                                    lo=1, hi=6, item_choices=activations.names)
    dataset: str = base.dataset_param()
    depth: int = base.param(6, "hidden layers", lo=1, hi=30)
    width: int = base.param(100, "units per hidden layer", lo=4, hi=512)
    optimizer: str = base.param("adam", "optimizer", choices=optim.names)
    lr: float = base.param(0.01, "learning rate", lo=1e-5, hi=10.0)
    epochs: int = base.param(10, "passes over the train split", lo=1, hi=100)
    batch_size: int = base.param(32, "examples per step", lo=1, hi=4096)
    seed: int = base.seed_param()
    device: str = base.device_param()

    def __post_init__(self) -> None:
        base.validate(self)
        if len(set(self.activations)) != len(self.activations):
            raise ValueError(f"activations must not repeat, got {self.activations}")


def labels(config: Config) -> list[str]:
    """Run labels, in the config's order (the registry labels)."""
    return [activations.get(name).label for name in config.activations]


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


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train one net per activation on the same data, initial seed and batch order (He init)."""
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    probe = loaded.features(loaded.valid.x[:PROBE_SIZE])  # the probe train() uses for `dead`
    for i, name in enumerate(config.activations):
        model = build_mlp(loaded.input_dim, loaded.n_classes,
                          MLPSpec(config.depth, config.width, name, init="he_normal"),
                          seed=config.seed, device=dev)
        tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer,
                          lr=config.lr, track_activations=True, seed=config.seed)
        records = _with_dead(train(model, loaded, tspec, stop=stop), model, probe, name)
        yield from tag_runs(records, run=activations.get(name).label, index=i, n_runs=len(config.activations),
                            activation=name, depth=config.depth, chance=1 / loaded.n_classes)
        if stop():
            return


# --- records -> frames and words ----------------------------------------------------------

def dead_by_layer(records: list[dict]) -> pd.DataFrame:
    """Columns run, epoch, layer, dead_grad, dead: each run's latest report, hidden layers only."""
    df = latest_layers(records)
    return df.dropna(subset=["dead_grad"])[["run", "epoch", "layer", "dead_grad", "dead"]]


def dead_over_epochs(records: list[dict]) -> pd.DataFrame:
    """Columns run, epoch, dead_grad: the mean over hidden layers at each epoch end."""
    df = layers(records).dropna(subset=["dead_grad"])
    if df.empty:
        return pd.DataFrame(columns=["run", "epoch", "dead_grad"])
    return df.groupby(["run", "epoch"], as_index=False, sort=False)["dead_grad"].mean()


def _pct(share: float) -> str:
    return "under 1%" if 0 < share < 0.005 else f"{share:.0%}"


def summary(records: list[dict]) -> str:
    """Plain words for one run: dead share overall and in the worst layer, accuracy."""
    rows = [r for r in (records[-1].get("layers", []) if records else []) if r.get("dead_grad") is not None]
    last = records[-1] if records else {}
    if last.get("status") == "diverged":
        return f"{last.get('message', 'diverged')}: the loss overflowed to inf/NaN."
    if not rows:
        return "measuring..."
    mean = sum(r["dead_grad"] for r in rows) / len(rows)
    worst = max(rows, key=lambda r: r["dead_grad"])
    words = f"At epoch {last['epoch']:g}, {_pct(mean)} of hidden units are dead"
    if worst["dead_grad"] > 0:
        words += f" (layer {worst['layer']}: {_pct(worst['dead_grad'])})"
    if last.get("val_acc") is not None:
        words += f"; validation accuracy {last['val_acc']:.0%}"
    return words + "."


base.EXPERIMENTS.add("activations", base.Experiment(
    "activations", "Activations",
    "each function and its slope, saturation, gradient through depth, and dying ReLU units live",
    Config, run))
