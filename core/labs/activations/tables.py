"""The Activations lab's dying-ReLU tables and words, from its records."""
from __future__ import annotations

import pandas as pd

from core import frames
from core.frames import latest_layers, layers
from core.snapshots import shared


@shared
def dead_by_layer(records: list[dict]) -> pd.DataFrame:
    """Columns run, epoch, layer, dead_grad, dead: each run's latest report, hidden layers only."""
    df = latest_layers(records)
    return df.dropna(subset=["dead_grad"])[["run", "epoch", "layer", "dead_grad", "dead"]]


@shared
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


@shared
def headline(records: list[dict]) -> str:
    return " ".join(f"{run}: {summary(recs)}" for run, recs in frames.by_run(records).items()) or "no result yet"


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat(records)
