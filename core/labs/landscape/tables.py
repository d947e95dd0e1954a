"""The Loss-landscape lab's tables: the training's curves, the arena's surface, paths and readings,
and the views of the trained network, from their records."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from core import contours, frames
from core.labs.landscape import surfaces
from core.snapshots import shared

HEATMAP_POINTS = 61  # cells per side of the arena's heatmap (and the click's resolution)
CONTOUR_POINTS = 161  # grid per side the iso-lines are traced on
CONTOUR_LEVELS = 14


# --- the arena ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=32)
def surface(name: str, condition: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(heatmap cells: x, y, loss, width, height; contour lines: level, line, order, x, y), the
    same for every visitor, so computed once per surface."""
    xs, ys, z = surfaces.grid(name, condition, HEATMAP_POINTS)
    gx, gy = np.meshgrid(xs, ys)  # z[i, j] is at (xs[j], ys[i])
    cells = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel(), "loss": z.ravel()})
    fx, fy, fz = surfaces.grid(name, condition, CONTOUR_POINTS)
    lines = contours.iso_lines(fx, fy, fz, contours.levels(fz, CONTOUR_LEVELS))
    return cells, lines


@functools.lru_cache(maxsize=32)
def minima(name: str, condition: float) -> pd.DataFrame:
    """The surface's known minima to mark: the global ones, then the poor local ones."""
    s = surfaces.get(name)
    rows = [{"what": what, "x": x, "y": y, "loss": surfaces.value(name, condition, x, y)}
            for what, points in (("global minimum", s.minima), ("local minimum", s.local_minima))
            for x, y in points]
    return pd.DataFrame(rows, columns=["what", "x", "y", "loss"])


def minimum(name: str, condition: float) -> float | None:
    """The surface's global minimum value; None where it has none (unbounded below)."""
    s = surfaces.get(name)
    return min(surfaces.value(name, condition, x, y) for x, y in s.minima) if s.minima else None


def paths_of(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("kind") == "path"]


@shared
def paths(records: list[dict], *, upto: int | None = None) -> pd.DataFrame:
    """One row per optimizer and step up to `upto` (all when None): run, step, x, y, loss, grad_norm."""
    frames_ = []
    for r in paths_of(records):
        df = pd.DataFrame({"run": r["run"], "step": r["step"], "x": r["x"], "y": r["y"], "loss": r["loss"],
                           "grad_norm": r["grad_norm"]})
        frames_.append(df if upto is None else df[df["step"] <= upto])
    cols = ["run", "step", "x", "y", "loss", "grad_norm"]
    return pd.concat(frames_, ignore_index=True) if frames_ else pd.DataFrame(columns=cols)


@shared
def heads(records: list[dict], *, upto: int | None = None) -> pd.DataFrame:
    """Where each path is at step `upto` (its end when shorter), with how it ended there."""
    df = paths(records, upto=upto)
    if df.empty:
        return df.assign(outcome=pd.Series(dtype=str))
    last = df.groupby("run", sort=False).tail(1).copy()
    outcome = {r["run"]: r.get("outcome", r["status"]) for r in paths_of(records)}
    ends = {r["run"]: r["step"][-1] for r in paths_of(records)}
    last["outcome"] = [outcome[run] if step >= ends[run] else "moving" for run, step in zip(last["run"], last["step"])]
    return last


@shared
def readings(records: list[dict]) -> pd.DataFrame:
    """Per optimizer: how its path ended and, where it ended inside the box, the reading there."""
    rows = []
    for r in paths_of(records):
        end = r.get("end") or {}
        eig = end.get("eigenvalues") or []
        rows.append({"optimizer": r["run"], "learning rate": r["lr"], "ended": r.get("message", r["status"]),
                     "x": end.get("x"), "y": end.get("y"), "loss": end.get("loss"),
                     "gradient norm": end.get("grad_norm"),
                     "eigenvalues": ", ".join(f"{v:.4g}" for v in eig) if eig else None,
                     "minimum ratio": end.get("min_ratio"), "verdict": end.get("verdict")})
    return pd.DataFrame(rows)


def longest(records: list[dict]) -> int:
    """The last step any path reached."""
    return max((r["step"][-1] for r in paths_of(records)), default=0)


# --- the network's training ------------------------------------------------------------------

@shared
def curves(records: list[dict]) -> pd.DataFrame:
    return frames.curves(records)


@shared
def headline(records: list[dict]) -> str:
    train = frames.train_records(records)
    if not train:
        paths_ = paths_of(records)
        return "; ".join(f"{r['run']}: {r.get('message', r['status'])}" for r in paths_) or "no result yet"
    last = train[-1]
    if last.get("val_acc") is None:
        return last.get("message") or "no result yet"
    return (f"validation accuracy {last['val_acc']:.1%}, loss {last['val_loss']:.4f} after epoch "
            f"{last['epoch']:g} ({last.get('parameters', 0):,} parameters)")


def table(records: list[dict]) -> pd.DataFrame:
    """One row per training report, or, for the arena's records, one per optimizer and step."""
    train = [r for r in records if r.get("kind") == "train"]
    return frames.flat(train) if train else paths(records)
