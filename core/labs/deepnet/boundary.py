"""Decision boundaries on 2-D sets: the model's class probabilities over a fixed grid covering
the data, computed in one batched forward pass."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.data import Data

GRID = 40  # cells per side
MARGIN = 0.1  # the grid reaches this share of the data's range beyond it on every side
MAX_POINTS_SHOWN = 600  # train points drawn over the heatmap


def extent(data: Data) -> tuple[np.ndarray, np.ndarray]:
    """(2,) low and (2,) high corners of the grid: every split's points with a margin."""
    x = torch.cat([data.train.x, data.valid.x, data.test.x]).float().cpu().numpy()  # (N, 2) raw
    lo, hi = x.min(0), x.max(0)
    pad = (hi - lo) * MARGIN
    return lo - pad, hi + pad


def centres(lo: np.ndarray, hi: np.ndarray, n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    """(n,) cell centres along each axis."""
    return tuple(lo[i] + (np.arange(n) + 0.5) * (hi[i] - lo[i]) / n for i in range(2))


@torch.no_grad()
def grid(model: nn.Module, data: Data, bounds: tuple[np.ndarray, np.ndarray], n: int = GRID) -> dict:
    """The model's class probabilities at the n×n cell centres, in eval mode (dropout off, batch
    norm on its running statistics), as one (n², 2) batch. Returns the cell bounds and, per
    cell, the probability of class 1 (two classes) or the predicted class and its probability."""
    lo, hi = bounds
    cx, cy = centres(lo, hi, n)
    xx, yy = np.meshgrid(cx, cy, indexing="xy")  # (n, n): row = y, column = x
    points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float32)).to(data.device)  # (n², 2)
    was_training = model.training
    model.eval()
    probs = model(data.features(points)).softmax(1).cpu().numpy()  # (n², C)
    model.train(was_training)
    half = (hi - lo) / (2 * n)
    out = {"x": xx.ravel() - half[0], "x2": xx.ravel() + half[0], "y": yy.ravel() - half[1],
           "y2": yy.ravel() + half[1], "classes": probs.shape[1]}
    if probs.shape[1] == 2:
        out["p"] = probs[:, 1]
    else:
        out["cls"], out["p"] = probs.argmax(1), probs.max(1)
    return out


def points(data: Data, seed: int) -> dict:
    """The train points drawn over the heatmap (at most MAX_POINTS_SHOWN, a fixed sample)."""
    n = len(data.train)
    keep = np.sort(np.random.default_rng(seed).permutation(n)[:MAX_POINTS_SHOWN])
    x = data.train.x.float().cpu().numpy()[keep]
    return {"x": x[:, 0], "y": x[:, 1], "cls": data.train.y.cpu().numpy()[keep]}


def frame(values: dict) -> pd.DataFrame:
    """A grid or the points as a DataFrame for the charts."""
    return pd.DataFrame({k: v for k, v in values.items() if k != "classes"})
