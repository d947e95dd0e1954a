"""The Initialization-variance lab's tables and words, from its records."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.frames import pow10
from core.snapshots import shared
from core.train import SATURATION_EPS


@shared
def layer_frame(records: list[dict]) -> pd.DataFrame:
    rows = [{"combo": r["combo"], **row} for r in records if r.get("kind") == "variance" for row in r["layers"]]
    return pd.DataFrame(rows)


@shared
def hist_frame(records: list[dict]) -> pd.DataFrame:
    rows = [{"combo": r["combo"], **row} for r in records if r.get("kind") == "variance" for row in r["hists"]]
    return pd.DataFrame(rows, columns=["combo", "layer", "bin_start", "bin_end", "share"])


def _times(x: float) -> str:
    """0.43 -> '0.43×', 1.6e-31 -> '10⁻³¹×'."""
    return f"{pow10(x)}×" if x > 0 and not 1e-2 <= x <= 1e2 else f"{x:.2g}×"


def summary(record: dict) -> str:
    """Plain words for one pair, from its measured numbers."""
    rows = record["layers"]
    overflow = next((r["layer"] for r in rows if r["pre_ms"] is None), None)
    if overflow is not None:
        return f"the activations overflow to inf/NaN at layer {overflow}."
    first, last = rows[0], rows[-1]
    parts = [f"mean square of the pre-activations goes from {first['pre_ms']:.3g} at layer 1 "
             f"to {last['pre_ms']:.3g} at layer {last['layer']} ({_times(last['pre_ms'] / first['pre_ms'])})"]
    sat = [r["saturated"] for r in rows if r["saturated"] is not None]
    if sat and np.mean(sat) >= 0.2:
        parts.append(f"{np.mean(sat):.0%} of units sit within {SATURATION_EPS} of a bound")
    g1, gl = first.get("grad_std"), last.get("grad_std")
    if g1 and gl:
        parts.append(f"the gradient's spread at layer 1 is {_times(g1 / gl)} that at layer {last['layer']}")
    return "; ".join(parts) + "."


@shared
def headline(records: list[dict]) -> str:
    return " ".join(f"{r['combo']}: {summary(r)}" for r in records if r.get("kind") == "variance") or "no result yet"


def table(records: list[dict]) -> pd.DataFrame:
    """One row per pair and layer: the measured statistics and gains beside the theory."""
    return layer_frame(records)
