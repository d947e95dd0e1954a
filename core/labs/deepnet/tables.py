"""The Deep-net lab's words and tables, from its records."""
from __future__ import annotations

import math

import pandas as pd

from core import frames
from core.snapshots import shared

SUMMARY_COLUMNS = ["run", "status", "epoch", "best validation accuracy", "best epoch", "validation accuracy",
                   "train accuracy", "gap", "validation loss", "weight norm", "near-zero weights", "message"]


def _weights(rec: dict) -> tuple[float | None, float | None]:
    """The whole net's weight norm (root of the sum of the layers' squared norms) and the share
    of weights near zero (layers weighted equally) at a record."""
    rows = [r for r in rec.get("layers", []) if r.get("weight_norm") is not None]
    if not rows:
        return None, None
    norm = math.sqrt(sum(r["weight_norm"] ** 2 for r in rows))
    return norm, sum(r.get("sparsity", 0.0) for r in rows) / len(rows)


@shared
def summary(records: list[dict]) -> pd.DataFrame:
    """One row per run: where it stands, its best validation accuracy, the train-validation gap,
    its weights' norm and sparsity."""
    rows = []
    for run, recs in frames.by_run(records).items():
        last = recs[-1]
        ends = [r for r in recs if r.get("epoch_end") and r.get("val_acc") is not None]
        best = max(ends, key=lambda r: r["val_acc"], default=None)
        train_acc = last.get("train_eval_acc")
        norm, zero = _weights(last)
        rows.append({
            "run": run, "status": last.get("status", "running"), "epoch": last.get("epoch"),
            "best validation accuracy": best["val_acc"] if best else None,
            "best epoch": best["epoch"] if best else None, "validation accuracy": last.get("val_acc"),
            "train accuracy": train_acc,
            "gap": None if train_acc is None or last.get("val_acc") is None else train_acc - last["val_acc"],
            "validation loss": last.get("val_loss"), "weight norm": norm, "near-zero weights": zero,
            "message": last.get("message", ""),
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


@shared
def weight_history(records: list[dict]) -> pd.DataFrame:
    """Per run and epoch end: the whole net's weight norm and share of near-zero weights."""
    rows = []
    for run, recs in frames.by_run(records).items():
        for r in recs:
            if r.get("epoch_end"):
                norm, zero = _weights(r)
                if norm is not None:
                    rows.append({"run": run, "epoch": r["epoch"], "weight norm": norm, "near-zero weights": zero})
    return pd.DataFrame(rows, columns=["run", "epoch", "weight norm", "near-zero weights"])


@shared
def curves(records: list[dict]) -> pd.DataFrame:
    """Learning curves with the train split measured in eval mode (dropout off), as validation is."""
    return frames.curves(records, train_eval=True)


@shared
def headline(records: list[dict]) -> str:
    """Per configuration: its best validation accuracy, or where it diverged."""
    df = summary(records)
    parts = []
    for row in df.itertuples(index=False):
        if row.status == "diverged":
            parts.append(f"{row.run}: {row.message}")
        elif row[3] is not None and not pd.isna(row[3]):
            parts.append(f"{row.run}: best {row[3]:.1%} validation accuracy (epoch {row[4]:g})")
    return "; ".join(parts) or "no result yet"


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat(frames.train_records(records))
