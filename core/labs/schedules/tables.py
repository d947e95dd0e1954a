"""The Learning-rate-schedules lab's tables, from its records and from the schedules alone."""
from __future__ import annotations

import math

import pandas as pd

from core import data, frames, schedules
from core.snapshots import shared


def steps_per_epoch(dataset: str, seed: int, batch_size: int) -> int | None:
    """Optimizer steps per epoch of a training on `dataset` (None while the set is not cached)."""
    if not data.is_cached(dataset):
        return None
    return max(1, math.ceil(len(data.load(dataset, seed=seed).train) / batch_size))


def preview(names: list[str], *, base_lr: float, epochs: int, steps_per_epoch: int,
            settings: dict[str, dict], losses: list[float]) -> pd.DataFrame:
    """The learning rate of every optimizer step under each schedule, from PyTorch's own
    schedulers. Rows: schedule, step, epoch, lr, interval."""
    parts = []
    for name in names:
        own = dict(settings.get(name, {}))
        interval = own.pop("interval", None)
        lrs = schedules.curve(name, base_lr=base_lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
                              interval=interval, losses=losses, **own)
        step = pd.RangeIndex(len(lrs))
        parts.append(pd.DataFrame({"schedule": schedules.get(name).label, "step": step,
                                    "epoch": step / steps_per_epoch, "lr": lrs,
                                    "interval": interval or schedules.get(name).interval}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["schedule", "step", "epoch", "lr", "interval"])


@shared
def finder_table(records: list[dict]) -> tuple[pd.DataFrame, dict]:
    """(points: step, lr, loss, smoothed, and both clipped for the chart, at most a few hundred
    (`frames.thin`); the result record, {} while running). The clip keeps the blow-up at the
    end from flattening the curve: at 1.5× the first smoothed loss, or 4× the lowest, whichever
    is higher."""
    points = pd.DataFrame([r for r in records if r.get("kind") == "finder"],
                          columns=["step", "lr", "loss", "smoothed"])
    result = next((r for r in reversed(records) if r.get("kind") == "result"), {})
    cap = max(1.5 * points["smoothed"].iloc[0], 4 * points["smoothed"].min()) if len(points) else 0.0
    points["loss_shown"], points["smoothed_shown"] = points["loss"].clip(upper=cap), points["smoothed"].clip(upper=cap)
    return frames.thin(points, [], "loss"), result


@shared
def race_curves(records: list[dict], *, x: str = "epoch") -> pd.DataFrame:
    """Per schedule and report, the mean over seeds of lr, train loss and validation loss.
    Rows: schedule, x, metric ("learning rate", "train loss", "validation loss"), value; at
    most a few hundred per line (`frames.thin`)."""
    rows = [{"schedule": r["entrant"], "step": r["step"], "x": r[x], "learning rate": r.get("lr"),
             "train loss": r.get("train_loss"), "validation loss": r.get("val_loss")}
            for r in records if r.get("kind") == "train" and "entrant" in r]
    if not rows:
        return pd.DataFrame(columns=["schedule", "x", "metric", "value"])
    long = pd.DataFrame(rows).melt(id_vars=["schedule", "step", "x"], var_name="metric").dropna(subset=["value"])
    out = long.groupby(["schedule", "metric", "step"]).agg(x=("x", "mean"), value=("value", "mean")).reset_index()
    return frames.thin(out[["schedule", "x", "metric", "value"]], ["schedule", "metric"], "value")


@shared
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


@shared
def headline(records: list[dict]) -> str:
    board = scoreboard(records)
    if board.empty:
        return "no result yet"
    return "; ".join(f"{r['schedule']}: {r['best val accuracy']:.1%}" for _, r in board.iterrows()
                     if r["best val accuracy"] == r["best val accuracy"]) or "no result yet"


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat(records)
