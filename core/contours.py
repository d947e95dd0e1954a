"""Iso-lines of a gridded surface as a table Vega-Lite can draw (it has no contour mark).

Each contour becomes rows of one polyline: a line id, the point order within it (for Altair's
`order` encoding, so a `line` mark joins the points in sequence, not sorted by x) and x, y.
contourpy computes the lines; a closed contour comes back with its first point repeated at its
end, so the drawn line closes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from contourpy import LineType, contour_generator

COLUMNS = ["level", "line", "order", "x", "y"]


def levels(z: np.ndarray, n: int) -> list[float]:
    """n contour levels for surface z, at quantiles of its values.

    Quantile-spaced, not evenly or log-spaced: level k sits at the (k + 0.5)/n quantile of the
    finite grid values, so each band between two lines covers about the same share of the box.
    On a steep surface (Rosenbrock spans 0 to ~2500 over its box, nearly all of it far from the
    valley) even steps would put every line on the walls and none near the minimum; quantiles
    follow the values where they are, so the flat valley still gets its lines. Unlike log
    spacing, this works as well for surfaces that go negative (the saddle, the double well).
    Repeated values (a plateau) give fewer than n levels, never a duplicate.
    """
    values = np.asarray(z, dtype=float)
    values = values[np.isfinite(values)]
    if n < 1 or values.size == 0:
        return []
    qs = (np.arange(n) + 0.5) / n
    return [float(v) for v in np.unique(np.quantile(values, qs))]


def iso_lines(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, levels: list[float]) -> pd.DataFrame:
    """The contour lines of z at `levels` as rows (level, line, order, x, y).

    xs: (nx,), ys: (ny,), z: (ny, nx) with z[i, j] the value at (xs[j], ys[i]) (rows are y, as in
    an image). `line` is unique per polyline over all levels; `order` counts 0.. along it.
    Non-finite values are masked: no line passes through them.
    """
    gen = contour_generator(np.asarray(xs, float), np.asarray(ys, float), np.ma.masked_invalid(np.asarray(z, float)),
                            line_type=LineType.Separate)  # Separate: lines(level) -> list of (N, 2) arrays
    parts, line = [], 0
    for level in levels:
        for points in gen.lines(level):
            k = len(points)
            parts.append(pd.DataFrame({"level": np.full(k, float(level)), "line": np.full(k, line),
                                       "order": np.arange(k), "x": points[:, 0], "y": points[:, 1]}))
            line += 1
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=int if c in ("line", "order") else float) for c in COLUMNS})
    return pd.concat(parts, ignore_index=True)[COLUMNS]
