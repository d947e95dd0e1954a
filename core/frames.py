"""Records (plain dicts from the training loop) -> tidy pandas DataFrames for the charts, the
CSV-ready table of a run, and a few words."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.snapshots import shared

MAX_POINTS = 300  # per series on screen, however long the run
KEEP_LATEST = 60  # of those, the latest points, kept as they are

CURVE_COLUMNS = ["run", "epoch", "samples", "time", "metric", "split", "value"]
LAYER_COLUMNS = ["run", "epoch", "layer", "grad_norm", "weight_norm", "update_ratio",
                 "act_mean", "act_std", "dead", "saturated", "dead_grad", "sparsity"]


def thin(df: pd.DataFrame, by: list[str], y: str, *, max_points: int = MAX_POINTS,
         latest: int = KEEP_LATEST) -> pd.DataFrame:
    """At most `max_points` rows per series (rows grouped by `by`, kept in their order), so a
    chart's data stays small however long a run is: the `latest` rows as they are and, of the
    older ones, in even buckets by position, each bucket's first row and the rows with its
    lowest and highest `y` (a spike or a dip is never thinned away)."""
    if df.empty or len(df) <= max_points:
        return df
    groups = df.groupby(by, sort=False).indices if by else {(): np.arange(len(df))}
    if max(len(pos) for pos in groups.values()) <= max_points:
        return df
    values = pd.to_numeric(df[y], errors="coerce").to_numpy(dtype=float)
    keep = np.zeros(len(df), dtype=bool)
    for pos in groups.values():
        if len(pos) <= max_points:
            keep[pos] = True
            continue
        old = pos[:-latest]
        keep[pos[-latest:]] = True
        buckets = (max_points - latest) // 3
        bucket = np.arange(len(old)) * buckets // len(old)
        keep[old[np.r_[0, np.flatnonzero(np.diff(bucket)) + 1]]] = True  # each bucket's first row
        v = pd.Series(values[old])
        for pick in (v.groupby(bucket).idxmin(), v.groupby(bucket).idxmax()):
            keep[old[pick.dropna().astype(int).to_numpy()]] = True
    return df[keep]


def train_records(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("kind", "train") == "train"]


@shared
def by_run(records: list[dict]) -> dict[str, list[dict]]:
    """Run label -> its records, in the order runs first appear."""
    out: dict[str, list[dict]] = {}
    for rec in train_records(records):
        out.setdefault(rec.get("run", ""), []).append(rec)
    return out


@shared
def curves(records: list[dict], *, train_eval: bool = False, max_points: int | None = MAX_POINTS) -> pd.DataFrame:
    """Long form: one row per (record, metric, split) with a finite value, at most `max_points`
    per series (see `thin`; None keeps every row). With `train_eval`, the train split's figures
    are the ones measured in eval mode (dropout off), not the running ones."""
    train = "train_eval_" if train_eval else "train_"
    rows = []
    for r in train_records(records):
        for metric, split, key in [("loss", "train", train + "loss"), ("loss", "validation", "val_loss"),
                                   ("accuracy", "train", train + "acc"), ("accuracy", "validation", "val_acc")]:
            # at step 0 the running train figure is one batch's; the eval-mode one is the whole split
            if r.get(key) is not None and not (r["step"] == 0 and split == "train" and not train_eval):
                rows.append([r.get("run", ""), r["epoch"], r["samples"], r["time"], metric, split, r[key]])
    df = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    return df if max_points is None else thin(df, ["run", "metric", "split"], "value", max_points=max_points)


@shared
def layers(records: list[dict], *, epoch_ends_only: bool = True) -> pd.DataFrame:
    """One row per (record, layer); epoch ends only by default (the heatmap's columns)."""
    rows = []
    for r in train_records(records):
        if epoch_ends_only and not r.get("epoch_end") and r.get("status") == "running":
            continue
        for row in r.get("layers", []):
            rows.append({"run": r.get("run", ""), "epoch": r["epoch"], **row})
    return pd.DataFrame(rows).reindex(columns=LAYER_COLUMNS)


@shared
def latest_layers(records: list[dict]) -> pd.DataFrame:
    """Per run, the per-layer rows of its latest record that has any."""
    rows = []
    for run, recs in by_run(records).items():
        for r in reversed(recs):
            if r.get("layers"):
                rows += [{"run": run, "epoch": r["epoch"], **row} for row in r["layers"]]
                break
    return pd.DataFrame(rows).reindex(columns=LAYER_COLUMNS)


@shared
def status(records: list[dict]) -> pd.DataFrame:
    """Per run: status, message, latest epoch and validation accuracy, divergence epoch."""
    rows = []
    for run, recs in by_run(records).items():
        last = recs[-1]
        rows.append({"run": run, "status": last.get("status", "running"), "epoch": last.get("epoch"),
                     "val_acc": last.get("val_acc"), "val_loss": last.get("val_loss"),
                     "message": last.get("message", ""), "diverged_epoch": last.get("diverged_epoch")})
    return pd.DataFrame(rows, columns=["run", "status", "epoch", "val_acc", "val_loss", "message", "diverged_epoch"])


def flat(records: list[dict]) -> pd.DataFrame:
    """One row per record with its plain (non-list) values: the CSV-ready table of a run. A
    record's per-layer rows become columns such as grad_norm_1, grad_norm_2..."""
    rows = []
    for r in records:
        row = {k: v for k, v in r.items() if not isinstance(v, (list, dict, tuple))}
        for layer in r.get("layers", []) if isinstance(r.get("layers"), list) else []:
            for k, v in layer.items():
                if k != "layer" and v is not None:
                    row[f"{k}_{layer['layer']}"] = v
        rows.append(row)
    return pd.DataFrame(rows)


@shared
def headline(records: list[dict]) -> str:
    """'run: 97.2% validation accuracy; other: diverged at epoch 1', at each run's latest report."""
    parts = []
    for run, recs in by_run(records).items():
        last = recs[-1]
        if last.get("status") == "diverged":
            parts.append(f"{run}: {last.get('message', 'diverged')}")
        elif last.get("val_acc") is not None:
            parts.append(f"{run}: {last['val_acc']:.1%} validation accuracy")
    return "; ".join(parts) or "no result yet"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10(x: float) -> str:
    """1.3e-12 -> '10⁻¹²' (the nearest power of ten)."""
    return "10" + str(round(math.log10(x))).translate(_SUPERSCRIPT)
