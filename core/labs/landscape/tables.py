"""The Loss-landscape lab's tables: the training's curves, the arena's surface, paths and readings,
and the views of the trained network, from their records."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from core import contours, frames, hessian
from core.labs.landscape import arena, surfaces
from core.snapshots import shared

HEATMAP_POINTS = 61  # cells per side of the arena's heatmap (and the click's resolution)
CONTOUR_POINTS = 161  # grid per side the iso-lines are traced on
CONTOUR_LEVELS = 14
DENSITY_POINTS = 400  # eigenvalue grid of the estimated spectral density
DENSITY_FLOOR = 1e-5  # densities below are drawn at it (a log axis has no 0)


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


@functools.lru_cache(maxsize=256)
def reading_at(name: str, condition: float, x: float, y: float) -> dict:
    """The surface's value, gradient norm and curvature at one point (the start)."""
    return arena.reading(name, condition, (x, y))


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
        # a path that left the box: where it crossed the edge, with no curvature reading (none applies)
        edge = {"x": r["x"][-1], "y": r["y"][-1], "loss": r["loss"][-1], "grad_norm": r["grad_norm"][-1],
                "verdict": "left the box: no reading"} if r["x"] else {}
        end = r.get("end") or edge
        eig = end.get("eigenvalues") or []
        rows.append({"optimizer": r["run"], "learning rate": r["lr"], "ended": r.get("message", r["status"]),
                     "x": end.get("x"), "y": end.get("y"), "loss": end.get("loss"),
                     "gradient norm": end.get("grad_norm"),
                     "eigenvalues": ", ".join(f"{v:.4g}" for v in eig) if eig else "",
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


# --- the trained network's views ---------------------------------------------------------------

def _last(records: list[dict], kind: str) -> dict | None:
    return next((r for r in reversed(records) if r.get("kind") == kind), None)


@shared
def linear_path(records: list[dict]) -> pd.DataFrame:
    rec = _last(records, "path")
    return pd.DataFrame(rec["rows"] if rec else [], columns=["split", "alpha", "loss", "accuracy"])


@shared
def grid(records: list[dict], kind: str) -> dict | None:
    """The slice `kind` ("slice" or "trajectory") as chart frames: cells (a, b, loss, accuracy),
    contour lines of the loss, the centre, the cell size, the path projected (trajectory)."""
    rec = _last(records, kind)
    if rec is None:
        return None
    a, b = np.asarray(rec["a"]), np.asarray(rec["b"])
    loss, acc = np.asarray(rec["loss"]), np.asarray(rec["accuracy"])  # (A, B): row i is a[i]
    ga, gb = np.meshgrid(a, b, indexing="ij")
    cells = pd.DataFrame({"a": ga.ravel(), "b": gb.ravel(), "loss": loss.ravel(), "accuracy": acc.ravel()})
    finite = np.where(np.isfinite(loss), loss, np.nan)
    lines = contours.iso_lines(a, b, finite.T, contours.levels(finite.T, CONTOUR_LEVELS))
    i, j = int(np.abs(a).argmin()), int(np.abs(b).argmin())
    centre = pd.DataFrame({"x": [0.0], "y": [0.0], "what": ["trained weights"], "loss": [float(loss[i, j])]})
    cell = (float(a[1] - a[0]) if len(a) > 1 else 1.0, float(b[1] - b[0]) if len(b) > 1 else 1.0)
    path = pd.DataFrame(rec.get("path") or [], columns=["index", "epoch", "x", "y", "loss"])
    return {"cells": cells, "lines": lines, "centre": centre, "cell": cell, "path": path,
            "explained": rec.get("explained"), "centre_loss": float(loss[i, j])}


def spectra(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("kind") == "spectrum"]


def density_rows(record: dict) -> list[dict]:
    """The estimated density of one spectrum record on an eigenvalue grid spanning its extremes."""
    nodes, weights = np.asarray(record["nodes"]), np.asarray(record["weights"])
    lo, hi = min(record["bottom"] + [0.0]), max(record["top"] + [0.0])
    pad = 0.05 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, DENSITY_POINTS)
    sigma = (hi - lo or 1.0) / 200  # a bump 0.5% of the spectrum's width
    dens = hessian.density(nodes, weights, grid, sigma)
    return [{"checkpoint": record["checkpoint"], "eigenvalue": float(g), "density": max(float(d), DENSITY_FLOOR)}
            for g, d in zip(grid, dens)]


@shared
def spectrum_frames(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """(density or histogram rows, extreme eigenvalues, exact?) over the checkpoints computed."""
    done = spectra(records)
    exact = bool(done and done[0]["exact"])
    extremes = []
    for r in done:
        values = r["eigenvalues"] if exact else r["bottom"] + r["top"]
        extremes += [{"checkpoint": r["checkpoint"], "end": "smallest", "eigenvalue": min(values)},
                     {"checkpoint": r["checkpoint"], "end": "largest", "eigenvalue": max(values)}]
    extremes_df = pd.DataFrame(extremes, columns=["checkpoint", "end", "eigenvalue"])
    if not exact:
        rows = [row for r in done for row in density_rows(r)]
        return pd.DataFrame(rows, columns=["checkpoint", "eigenvalue", "density"]), extremes_df, False
    every = np.concatenate([np.asarray(r["eigenvalues"]) for r in done]) if done else np.zeros(1)
    edges = np.linspace(every.min(), every.max() if every.max() > every.min() else every.min() + 1, 61)
    rows = []
    for r in done:
        counts, _ = np.histogram(r["eigenvalues"], bins=edges)
        rows += [{"checkpoint": r["checkpoint"], "lo": float(lo), "hi": float(hi), "count": int(c)}
                 for lo, hi, c in zip(edges[:-1], edges[1:], counts)]
    return pd.DataFrame(rows, columns=["checkpoint", "lo", "hi", "count"]), extremes_df, True


@shared
def spectrum_readings(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in spectra(records):
        values = r["eigenvalues"] if r["exact"] else r["bottom"] + r["top"]
        rows.append({"checkpoint": r["checkpoint"], "gradient norm": r["grad_norm"], "λ min": min(values),
                     "λ max": max(values),
                     "negative": str(r["negative"]) if r["exact"] else
                     f"≥ {r['negative']} of the {len(r['bottom'])} smallest",
                     "minimum ratio": r["min_ratio"],
                     "ratio is": "exact" if r["exact"] else "estimated (SLQ)", "verdict": r["verdict"],
                     "HVPs": r.get("hvps") if r["exact"] else r["lanczos_hvps"] + r["slq_hvps"],
                     "note": r.get("message") or ""})
    return pd.DataFrame(rows)


@shared
def stuck_frames(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rec = _last(records, "stuck")
    rows = pd.DataFrame(rec["rows"] if rec else [], columns=["epoch", "loss", "grad_norm"])
    spans = pd.DataFrame(rec["stalled"] if rec else [], columns=["start", "end"])
    return rows, spans


# --- the views' tables, as their Download CSV gives them -----------------------------------------

PLANES = {"slice": "random directions", "trajectory": "trajectory plane"}  # a slice record's kind -> its CSV name


def slices_table(records: list[dict]) -> pd.DataFrame:
    """Per plane: every grid point (a, b in units of the plane's directions) with its loss and
    accuracy, then, on the trajectory's plane, each checkpoint projected with its epoch."""
    parts = []
    for kind, plane in PLANES.items():
        rec = _last(records, kind)
        if rec is None:
            continue
        a, b = np.meshgrid(rec["a"], rec["b"], indexing="ij")  # (A, B), as loss and accuracy
        parts.append(pd.DataFrame({"plane": plane, "point": "grid", "a": a.ravel(), "b": b.ravel(),
                                   "loss": np.ravel(rec["loss"]), "accuracy": np.ravel(rec["accuracy"])}))
        if rec.get("path"):
            path = pd.DataFrame(rec["path"], columns=["epoch", "x", "y", "loss"])
            parts.append(path.rename(columns={"x": "a", "y": "b"}).assign(plane=plane, point="checkpoint"))
    cols = ["plane", "point", "epoch", "a", "b", "loss", "accuracy"]
    return pd.concat(parts, ignore_index=True).reindex(columns=cols) if parts else pd.DataFrame(columns=cols)


def spectrum_table(records: list[dict]) -> pd.DataFrame:
    """Per checkpoint: every eigenvalue where the Hessian was whole; else the extreme ones
    Lanczos found and the estimated density (SLQ) on an eigenvalue grid."""
    rows = []
    for r in spectra(records):
        at = {"checkpoint": r["checkpoint"], "epoch": r.get("epoch")}
        if r["exact"]:
            rows += [{**at, "method": "exact", "eigenvalue": v} for v in r["eigenvalues"]]
            continue
        rows += [{**at, "method": "Lanczos", "eigenvalue": v} for v in sorted(r["bottom"] + r["top"])]
        rows += [{**at, "method": "SLQ density", "eigenvalue": d["eigenvalue"], "density": d["density"]}
                 for d in density_rows(r)]
    return pd.DataFrame(rows, columns=["checkpoint", "epoch", "method", "eigenvalue", "density"])


def stuck_table(records: list[dict]) -> pd.DataFrame:
    """Per checkpoint: epoch, loss, the full gradient's norm, and whether it lies in a stalled span."""
    rows, spans = stuck_frames(records)
    inside = [bool(((spans["start"] <= e) & (e <= spans["end"])).any()) for e in rows["epoch"]]
    return rows.rename(columns={"grad_norm": "gradient norm"}).assign(stalled=inside)
