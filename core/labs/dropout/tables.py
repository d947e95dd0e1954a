"""The Dropout lab's training tables, from its records."""
from __future__ import annotations

import pandas as pd

from core import frames
from core.snapshots import shared


@shared
def curves(records: list[dict]) -> pd.DataFrame:
    """Learning curves with the train split measured with dropout off, as the validation split is."""
    return frames.curves(records, train_eval=True)


@shared
def gaps(records: list[dict]) -> pd.DataFrame:
    """Per run and epoch end: loss gap (validation − train, nats) and accuracy gap (train − validation)."""
    rows = []
    for r in frames.train_records(records):
        if r.get("epoch_end") and r.get("train_eval_loss") is not None and r.get("val_loss") is not None:
            at = {"run": r["run"], "epoch": r["epoch"]}
            rows.append({**at, "metric": "loss", "value": r["val_loss"] - r["train_eval_loss"]})
            rows.append({**at, "metric": "accuracy", "value": r["train_eval_acc"] - r["val_acc"]})
    return pd.DataFrame(rows, columns=["run", "epoch", "metric", "value"])


@shared
def summary(records: list[dict], *, ended: bool = False) -> pd.DataFrame:
    """Per run at its latest report: accuracies and losses (train with dropout off), the gap, and
    the best validation loss with its epoch. With `ended` (the job is over), a run whose last
    record still says "running" was stopped."""
    rows = []
    for run, recs in frames.by_run(records).items():
        last = recs[-1]
        ends = [r for r in recs if r.get("epoch_end") and r.get("val_loss") is not None]
        best = min(ends, key=lambda r: r["val_loss"]) if ends else {}
        train_acc, val_acc = last.get("train_eval_acc"), last.get("val_acc")
        stopped = last.get("status") == "cancelled" or (ended and last.get("status") == "running")
        status = "stopped" if stopped else last.get("status")
        rows.append({"run": run, "status": status, "epoch": last.get("epoch"),
                     "train accuracy": train_acc, "validation accuracy": val_acc,
                     "gap": None if train_acc is None or val_acc is None else train_acc - val_acc,
                     "train loss": last.get("train_eval_loss"), "validation loss": last.get("val_loss"),
                     "best validation loss": best.get("val_loss"), "at epoch": best.get("epoch")})
    return pd.DataFrame(rows)


# --- MC dropout on a trained network ------------------------------------------------------------


@shared
def headline(records: list[dict]) -> str:
    rows = summary(records)
    if rows.empty:
        return "no result yet"
    return "; ".join(f"{r['run']}: validation {r['validation accuracy']:.1%}, gap {r['gap']:+.1%}"
                     for _, r in rows.iterrows() if pd.notna(r["gap"])) or "no result yet"


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat([r for r in records if r.get("kind") == "train"])
