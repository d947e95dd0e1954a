"""The Optimizer-race lab's tables, from its records."""
from __future__ import annotations

import pandas as pd

from core import frames
from core.labs.optimizer_race.config import BANDS, X_AXES
from core.snapshots import shared


@shared
def curves(records: list[dict], *, x: str = "epoch", band: str = "min-max") -> pd.DataFrame:
    """Per entrant and report: mean over seeds of train loss and validation accuracy, with a band
    (min–max or ± one std), at most a few hundred points per line (`frames.thin`).
    Rows: entrant, x, metric, mean, lo, hi, seeds."""
    if x not in X_AXES or band not in BANDS:
        raise ValueError(f"x must be one of {list(X_AXES)} and band one of {list(BANDS)}")
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
    return frames.thin(out[cols], ["entrant", "metric"], "mean")


@shared
def leaderboard(records: list[dict], *, target: float = 0.9) -> pd.DataFrame:
    """Per entrant: status, best mean validation accuracy, final mean train loss, and the first
    epoch and number of samples at which the mean validation accuracy reached `target`. (No
    time: every model shares one vectorized pass, so a per-optimizer time cannot be measured.)"""
    by_entrant: dict[str, list[dict]] = {}
    for r in records:
        if r.get("kind") == "train" and "entrant" in r:
            by_entrant.setdefault(r["entrant"], []).append(r)
    rows = []
    for name, recs in by_entrant.items():
        frame = pd.DataFrame(recs)
        per_step = frame.groupby("step").agg(epoch=("epoch", "mean"), samples=("samples", "mean"),
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
                     f"samples to {target:.0%}": int(reached["samples"].iloc[0]) if len(reached) else None})
    board = pd.DataFrame(rows)
    return board.sort_values("best val accuracy", ascending=False, na_position="last") if len(board) else board


@shared
def divergences(records: list[dict], *, x: str = "epoch") -> pd.DataFrame:
    """Where each diverged model stopped: entrant, seed, x, message."""
    rows = [{"entrant": r["entrant"], "seed": r["seed"], "x": r[x], "message": r.get("message", "")}
            for r in records if r.get("status") == "diverged" and "entrant" in r]
    return pd.DataFrame(rows, columns=["entrant", "seed", "x", "message"])


@shared
def headline(records: list[dict]) -> str:
    """The leaderboard's top: best mean validation accuracy per optimizer, best first."""
    board = leaderboard(records)
    if board.empty:
        return "no result yet"
    return "; ".join(f"{r['optimizer']}: {r['best val accuracy']:.1%}" if pd.notna(r["best val accuracy"])
                     else f"{r['optimizer']}: {r['status']}" for _, r in board.iterrows())


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat(records)
