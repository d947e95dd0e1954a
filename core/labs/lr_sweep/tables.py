"""The learning-rate sweep's tables, from its records (each cell's latest one counts)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core import frames, optim, sweep
from core.labs.lr_sweep.config import BANDS, METRICS
from core.snapshots import shared

EDGE = "at the grid's edge"  # the leaderboard's column: the good region reaches the grid's end


def label(name: str) -> str:
    """An optimizer as the chart's legend and the leaderboard name it."""
    return optim.get(name).label


@shared
def curves(records: list[dict], *, metric: str = "accuracy", band: str = "min-max") -> pd.DataFrame:
    """Per optimizer and rate, over the seeds' latest records: the mean of the metric with a band
    (min–max or ± one std). Accuracy counts a failed cell as 0; loss leaves it out (a rate whose
    seeds all failed has no loss point). Rows: optimizer, lr, mean, lo, hi, seeds, ended, failed."""
    if metric not in METRICS or band not in BANDS:
        raise ValueError(f"metric must be one of {list(METRICS)} and band one of {list(BANDS)}")
    cols = ["optimizer", "lr", "mean", "lo", "hi", "seeds", "ended", "failed"]
    cells = sweep.finals(records)
    if not cells:
        return pd.DataFrame(columns=cols)
    out = sweep.table(cells, metric)
    if band == "std":
        out["lo"], out["hi"] = out["mean"] - out["std"], out["mean"] + out["std"]
    else:
        out["lo"], out["hi"] = out["min"], out["max"]
    out["optimizer"] = out["optimizer"].map(label)
    return out[cols].sort_values(["optimizer", "lr"], ignore_index=True)


@shared
def leaderboard(records: list[dict]) -> pd.DataFrame:
    """Per optimizer, best first: its best rate on the mean accuracy over seeds, that mean, its
    good region (within a point of the best) and the region's width in decades, the headline:
    how touchy the optimizer is about its rate. A width at the grid's edge is a lower bound."""
    cells = sweep.finals(records)
    cols = ["optimizer", "best rate", "mean accuracy", "good from", "good to", "width (decades)", EDGE,
            "failed cells", "cells ended"]
    if not cells:
        return pd.DataFrame(columns=cols)
    board = sweep.leaderboard(cells)
    board["optimizer"] = board["optimizer"].map(label)
    board = board.rename(columns={"best lr": "best rate", "best mean": "mean accuracy"})
    return board[cols]


@shared
def markers(records: list[dict], *, metric: str = "accuracy") -> pd.DataFrame:
    """Each optimizer's best point on the chart (at its best rate: the metric's mean there, NaN
    where no loss is left) and its good region (from, to, width in decades).
    Rows: optimizer, lr, y, from, to, width, label, caption."""
    board = leaderboard(records)
    cols = ["optimizer", "lr", "y", "from", "to", "width", "label", "caption"]
    if board.empty:
        return pd.DataFrame(columns=cols)
    shown = curves(records, metric=metric).set_index(["optimizer", "lr"])["mean"]
    rows = []
    for _, r in board.dropna(subset=["best rate"]).iterrows():
        y = shown.get((r["optimizer"], r["best rate"]), np.nan)
        bound = "≥ " if r[EDGE] else ""
        rows.append({"optimizer": r["optimizer"], "lr": r["best rate"], "y": y, "from": r["good from"],
                     "to": r["good to"], "width": r["width (decades)"],
                     "label": f"best {r['best rate']:.3g}: {r['mean accuracy']:.1%}, good over {bound}"
                              f"{r['width (decades)']:.2f} decades",
                     "caption": f"{bound}{r['width (decades)']:.2f}"})
    return pd.DataFrame(rows, columns=cols)


@shared
def headline(records: list[dict]) -> str:
    """Each optimizer's best rate and the width of its good region, best first."""
    board = leaderboard(records)
    if board.empty:
        return "no cell has ended yet"
    return "; ".join(f"{r['optimizer']}: {r['mean accuracy']:.1%} at {r['best rate']:.3g}, good over "
                     f"{'≥ ' if r[EDGE] else ''}{r['width (decades)']:.2f} decades" if pd.notna(r["best rate"])
                     else f"{r['optimizer']}: every cell failed" for _, r in board.iterrows())


@shared
def best_rates(records: list[dict]) -> dict[str, float]:
    """Optimizer name -> its best rate on the mean over seeds."""
    cells = sweep.finals(records)
    if not cells:
        return {}
    return {r["optimizer"]: float(r["best lr"]) for _, r in sweep.leaderboard(cells).iterrows()
            if pd.notna(r["best lr"])}


@shared
def progress(records: list[dict]) -> tuple[int, int] | None:
    """(cells ended, cells in the sweep), or None before the first cell has reported."""
    cells = sweep.finals(records)
    total = next((r["cells"] for r in records if r.get("kind") == "where"), len(cells))
    return (sum(c["status"] != "running" for c in cells), total) if cells else None


@shared
def where(records: list[dict]) -> str:
    """Where the sweep ran: this process or the Ray cluster, as its first record says."""
    return next((r["where"] for r in records if r.get("kind") == "where"), "")


def table(records: list[dict]) -> pd.DataFrame:
    """Every cell record (each epoch end and the last), CSV-ready."""
    return frames.flat([r for r in records if r.get("kind") == "cell"])
