"""Optimizer race: optimizers trained side by side on the same start and the same batches,
several seeds at once, in one vectorized pass (one after another when the net has
normalization layers, whose running statistics cannot be stacked)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pandas as pd

from core import device, optim
from core import settings as text_settings
from core.experiments import base
from core.experiments.common import RaceNet, Stop, load_data, never, tag_runs
from core.models import MLPSpec, NORMS, build_mlp
from core.race import Entrant, train_race, vectorizable
from core.train import TrainSpec, train

CLASSIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw")


@dataclass(frozen=True)
class Config(RaceNet):
    optimizers: tuple = base.param(CLASSIC, "optimizers racing", lo=1, hi=16, item_choices=optim.names)
    lr_mode: str = base.param("usual", "'usual': each at its usual rate; 'same': all at lr", choices=("usual", "same"))
    lr: float = base.param(0.05, "learning rate for all when lr_mode is 'same'", lo=1e-6, hi=10.0)
    norm: str = base.param("none", "normalization; any but none trains the models one by one", choices=NORMS)
    epochs: int = base.param(10, "passes over the train split", lo=1, hi=100)
    seeds: int = base.param(1, "initializations per optimizer (seed, seed+1, ...)", lo=1, hi=10)
    settings: tuple = base.param((), "per-optimizer settings: name:key=value, e.g. adam:lr=0.002, adam:betas=0.9;0.99",
                                 lo=0, hi=64)

    def __post_init__(self) -> None:
        base.validate(self)
        if len(set(self.optimizers)) != len(self.optimizers):
            raise ValueError(f"optimizers must not repeat, got {self.optimizers}")
        self.entrants()  # checks the settings

    def entrants(self) -> list[Entrant]:
        own = parse_settings(self.settings, self.optimizers)
        out = []
        for name in self.optimizers:
            hyper = dict(own.get(name, {}))
            lr = hyper.pop("lr", optim.get(name).usual_lr if self.lr_mode == "usual" else self.lr)
            out.append(Entrant(name, float(lr), tuple(sorted(hyper.items()))))
        return out

    def spec(self) -> MLPSpec:
        return MLPSpec(self.depth, self.width, self.activation, init=self.init, norm=self.norm)


def parse_settings(settings: tuple, optimizers: tuple) -> dict[str, dict]:
    """('adam:lr=0.002', 'adam:betas=0.9;0.99') -> {'adam': {'lr': 0.002, 'betas': (0.9, 0.99)}}.
    Keys: lr, weight_decay and the optimizer's editable settings."""
    return text_settings.parse(settings, optimizers, chosen="racing", same_length=True,
                               defaults=lambda n: {"lr": 0.0, "weight_decay": 0.0, **optim.get(n).editable})


def path(config: Config) -> str:
    """'vectorized' or 'sequential': how this race will be trained. Normalization layers keep
    per-model running statistics, and Hessian-based optimizers (Sophia) need a second-order
    backward, which does not go through the stacked gradient: both race one model at a time."""
    if not vectorizable(config.spec()):
        return "sequential"
    if any(getattr(optim.get(n), "needs_hessian", False) for n in config.optimizers):
        return "sequential"
    return "vectorized"


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
                          lr=entrant.lr, layer_stats=False, seed=0,  # seed 0: one batch order for all
                          optimizer_settings=entrant.hyper)
        yield from tag_runs(train(model, loaded, tspec, stop=stop), run=f"{entrant.name} (seed {seed})", index=i,
                            n_runs=len(members), entrant=entrant.name, optimizer=entrant.optimizer,
                            seed=seed, path=how)
        if stop():
            return


base.EXPERIMENTS.add("optimizer_race", base.Experiment(
    "optimizer_race", "Optimizer race",
    "optimizers side by side from the same start on the same batches, several seeds, one vectorized pass",
    Config, run))


# --- tables for the page, from the records --------------------------------------------------

X_AXES = {"epoch": "epoch", "samples": "samples seen", "time": "wall-clock seconds"}
BANDS = ("min-max", "std")


def curves(records: list[dict], *, x: str = "epoch", band: str = "min-max") -> pd.DataFrame:
    """Per entrant and report: mean over seeds of train loss and validation accuracy, with a band
    (min–max or ± one std). Rows: entrant, x, metric, mean, lo, hi, seeds."""
    if x not in X_AXES or band not in BANDS:
        raise ValueError(f"x must be one of {list(X_AXES)} and band one of {BANDS}")
    rows = [{"entrant": r["entrant"], "seed": r["seed"], "step": r["step"], "x": r[x],
             "train loss": r["train_loss"], "validation accuracy": r["val_acc"]}
            for r in records if r.get("kind") == "train" and "entrant" in r]
    cols = ["entrant", "x", "metric", "mean", "lo", "hi", "seeds"]
    if not rows:
        return pd.DataFrame(columns=cols)
    long = pd.DataFrame(rows).melt(id_vars=["entrant", "seed", "step", "x"], var_name="metric").dropna(subset=["value"])
    # one x per step: seeds of a vectorized race report together; sequential runs use their own time
    g = long.groupby(["entrant", "metric", "step"])
    out = g.agg(x=("x", "mean"), mean=("value", "mean"), lo=("value", "min"), hi=("value", "max"),
                std=("value", "std"), seeds=("value", "size")).reset_index()
    if band == "std":
        out["lo"], out["hi"] = out["mean"] - out["std"].fillna(0), out["mean"] + out["std"].fillna(0)
    return out[cols]


def leaderboard(records: list[dict], *, target: float = 0.9) -> pd.DataFrame:
    """Per entrant: status, best mean validation accuracy, final mean train loss, and the first
    epoch and time at which the mean validation accuracy reached `target`."""
    by_entrant: dict[str, list[dict]] = {}
    for r in records:
        if r.get("kind") == "train" and "entrant" in r:
            by_entrant.setdefault(r["entrant"], []).append(r)
    rows = []
    for name, recs in by_entrant.items():
        frame = pd.DataFrame(recs)
        per_step = frame.groupby("step").agg(epoch=("epoch", "mean"), time=("time", "mean"),
                                             acc=("val_acc", "mean"), loss=("train_loss", "mean"))
        reached = per_step[per_step["acc"] >= target]
        last_by_seed = frame.groupby("seed").tail(1)
        diverged = last_by_seed[last_by_seed["status"] == "diverged"]
        status = ("diverged at epoch " + ", ".join(str(int(e)) for e in sorted(diverged["diverged_epoch"].unique()))
                  if len(diverged) == len(last_by_seed) else
                  f"{len(diverged)} of {len(last_by_seed)} seeds diverged" if len(diverged) else
                  "done" if (last_by_seed["status"] == "done").all() else
                  "stopped" if (last_by_seed["status"] == "cancelled").any() else "running")
        rows.append({"optimizer": name, "status": status, "best val accuracy": per_step["acc"].max(),
                     "final train loss": per_step["loss"].dropna().iloc[-1] if per_step["loss"].notna().any() else None,
                     f"epoch to {target:.0%}": reached["epoch"].iloc[0] if len(reached) else None,
                     f"seconds to {target:.0%}": reached["time"].iloc[0] if len(reached) else None})
    board = pd.DataFrame(rows)
    return board.sort_values("best val accuracy", ascending=False, na_position="last") if len(board) else board


def divergences(records: list[dict], *, x: str = "epoch") -> pd.DataFrame:
    """Where each diverged model stopped: entrant, seed, x, message."""
    rows = [{"entrant": r["entrant"], "seed": r["seed"], "x": r[x], "message": r.get("message", "")}
            for r in records if r.get("status") == "diverged" and "entrant" in r]
    return pd.DataFrame(rows, columns=["entrant", "seed", "x", "message"])
