"""Learning-rate schedules: several schedules race on one optimizer from the same start on the
same batches (the race engine), and the LR finder's range test."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pandas as pd

from core import device, lr_finder, optim, schedules
from core.experiments import base
from core.experiments.common import RaceNet, Stop, load_data, never
from core.models import build_mlp
from core.race import Entrant, train_race

# The chapter's comparison: SGD at 0.05 under five schedules (exponential at its default γ=0.9 per epoch).
CHAPTER = ("constant", "exponential", "plateau", "warmup_plateau", "onecycle")


@dataclass(frozen=True)
class Config(RaceNet):
    schedules: tuple = base.param(CHAPTER, "schedules racing", lo=1, hi=12, item_choices=schedules.names)
    settings: tuple = base.param((), "schedule settings: name:key=value, e.g. onecycle:pct_start=0.25, "
                                 "exponential:interval=batch, multistep:milestones=3;6", lo=0, hi=64)
    optimizer: str = base.param("sgd", "optimizer every schedule drives", choices=optim.names)
    lr: float = base.param(0.05, "learning rate: the base rate, 1cycle's max_lr, Noam's scale", lo=1e-6, hi=10.0)
    epochs: int = base.param(10, "passes over the train split", lo=1, hi=100)
    seeds: int = base.param(1, "initializations per schedule (seed, seed+1, ...)", lo=1, hi=5)

    def __post_init__(self) -> None:
        base.validate(self)
        if len(set(self.schedules)) != len(self.schedules):
            raise ValueError(f"schedules must not repeat, got {self.schedules}")
        if optim.get(self.optimizer).needs_hessian:
            raise ValueError(f"{optim.get(self.optimizer).label} needs a second-order backward, which the "
                             "schedule race does not take; pick another optimizer")
        self.entrants()  # checks the settings

    def entrants(self) -> list[Entrant]:
        own = schedules.parse_settings(self.settings, self.schedules)
        return [Entrant(self.optimizer, self.lr, label=schedules.get(name).label, schedule=name,
                        schedule_settings=tuple(sorted(own.get(name, {}).items())))
                for name in self.schedules]


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    seeds = [config.seed + i for i in range(config.seeds)]
    yield from train_race(loaded, config.spec(), config.entrants(), seeds, epochs=config.epochs,
                          batch_size=config.batch_size, stop=stop)


base.EXPERIMENTS.add("schedules", base.Experiment(
    "schedules", "Learning-rate schedules",
    "schedules racing on one optimizer from the same start on the same batches, learning rate beside the loss",
    Config, run))


@dataclass(frozen=True)
class FinderConfig(RaceNet):
    optimizer: str = base.param("sgd", "optimizer", choices=optim.names)
    start: float = base.param(1e-5, "first learning rate", lo=1e-8, hi=1.0)
    end: float = base.param(10.0, "last learning rate", lo=1e-4, hi=1000.0)
    steps: int = base.param(100, "batches, one rate each, evenly spaced on a log scale", lo=10, hi=1000)
    blowup: float = base.param(4.0, "stop when the smoothed loss passes this multiple of its minimum", lo=1.5, hi=100.0)
    smoothing: float = base.param(0.95, "weight of the past in the loss's moving average", lo=0.0, hi=0.995)

    def __post_init__(self) -> None:
        base.validate(self)
        self.finder()

    def finder(self) -> lr_finder.FinderSpec:
        if optim.get(self.optimizer).needs_hessian:
            raise ValueError(f"{optim.get(self.optimizer).label} is not offered in the range test")
        return lr_finder.FinderSpec(start=self.start, end=self.end, steps=self.steps, batch_size=self.batch_size,
                                    blowup=self.blowup, smoothing=self.smoothing, optimizer=self.optimizer,
                                    seed=self.seed)


def run_finder(config: FinderConfig, stop: Stop = never) -> Iterator[dict]:
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    model = build_mlp(loaded.input_dim, loaded.n_classes, config.spec(), seed=config.seed, device=dev)
    yield from lr_finder.range_test(model, loaded, config.finder(), stop=stop)


base.EXPERIMENTS.add("lr_finder", base.Experiment(
    "lr_finder", "LR finder (range test)",
    "the loss as the learning rate rises exponentially, with suggested rates; the weights are restored after",
    FinderConfig, run_finder))


# --- tables for the page, from the records --------------------------------------------------

def preview(names: list[str], *, base_lr: float, epochs: int, steps_per_epoch: int,
            settings: dict[str, dict], losses: list[float]) -> pd.DataFrame:
    """The learning rate of every optimizer step under each schedule, from PyTorch's own
    schedulers. Rows: schedule, step, epoch, lr, interval."""
    frames = []
    for name in names:
        own = dict(settings.get(name, {}))
        interval = own.pop("interval", None)
        lrs = schedules.curve(name, base_lr=base_lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
                              interval=interval, losses=losses, **own)
        step = pd.RangeIndex(len(lrs))
        frames.append(pd.DataFrame({"schedule": schedules.get(name).label, "step": step,
                                    "epoch": step / steps_per_epoch, "lr": lrs,
                                    "interval": interval or schedules.get(name).interval}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["schedule", "step", "epoch", "lr", "interval"])


def finder_table(records: list[dict]) -> tuple[pd.DataFrame, dict]:
    """(points: step, lr, loss, smoothed, and both clipped for the chart; the result record,
    {} while running). The clip keeps the blow-up at the end from flattening the curve: at
    1.5× the first smoothed loss, or 4× the lowest, whichever is higher."""
    points = pd.DataFrame([r for r in records if r.get("kind") == "finder"],
                          columns=["step", "lr", "loss", "smoothed"])
    result = next((r for r in reversed(records) if r.get("kind") == "result"), {})
    cap = max(1.5 * points["smoothed"].iloc[0], 4 * points["smoothed"].min()) if len(points) else 0.0
    points["loss_shown"], points["smoothed_shown"] = points["loss"].clip(upper=cap), points["smoothed"].clip(upper=cap)
    return points, result


def race_curves(records: list[dict], *, x: str = "epoch") -> pd.DataFrame:
    """Per schedule and report, the mean over seeds of lr, train loss and validation loss.
    Rows: schedule, x, metric ("learning rate", "train loss", "validation loss"), value."""
    rows = [{"schedule": r["entrant"], "step": r["step"], "x": r[x], "learning rate": r.get("lr"),
             "train loss": r.get("train_loss"), "validation loss": r.get("val_loss")}
            for r in records if r.get("kind") == "train" and "entrant" in r]
    if not rows:
        return pd.DataFrame(columns=["schedule", "x", "metric", "value"])
    long = pd.DataFrame(rows).melt(id_vars=["schedule", "step", "x"], var_name="metric").dropna(subset=["value"])
    out = long.groupby(["schedule", "metric", "step"]).agg(x=("x", "mean"), value=("value", "mean")).reset_index()
    return out[["schedule", "x", "metric", "value"]]


def scoreboard(records: list[dict]) -> pd.DataFrame:
    """Per schedule: status, best and final mean validation accuracy, final mean validation
    loss and learning rate."""
    frame = pd.DataFrame([r for r in records if r.get("kind") == "train" and "entrant" in r])
    if frame.empty:
        return pd.DataFrame(columns=["schedule", "status", "best val accuracy", "final val accuracy",
                                     "final val loss", "final lr"])
    rows = []
    for name, recs in frame.groupby("entrant", sort=False):
        per_step = recs.groupby("step").agg(acc=("val_acc", "mean"), loss=("val_loss", "mean"), lr=("lr", "mean"))
        last = recs.groupby("seed").tail(1)
        status = ("diverged" if (last["status"] == "diverged").all() else
                  "done" if (last["status"] == "done").all() else
                  "stopped" if (last["status"] == "cancelled").any() else "running")
        rows.append({"schedule": name, "status": status, "best val accuracy": per_step["acc"].max(),
                     "final val accuracy": per_step["acc"].dropna().iloc[-1] if per_step["acc"].notna().any() else None,
                     "final val loss": per_step["loss"].dropna().iloc[-1] if per_step["loss"].notna().any() else None,
                     "final lr": per_step["lr"].iloc[-1]})
    return pd.DataFrame(rows).sort_values("best val accuracy", ascending=False, na_position="last")
