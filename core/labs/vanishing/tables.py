"""The Vanishing-gradients lab's words and tables, from its records."""
from __future__ import annotations

import pandas as pd

from core import frames
from core.frames import pow10
from core.snapshots import shared


def _ratio_words(layers: list[dict], depth: int) -> str | None:
    grads = {row["layer"]: row.get("grad_norm") for row in layers}
    first, last = grads.get(1), grads.get(depth)
    if first is None or last is None or depth < 2:
        return None
    if last == 0:
        return f"layer {depth} gets no gradient at all"
    if first == 0:
        return "layer 1 gets no gradient at all (its units are saturated or dead)"
    r = first / last
    if r < 1e-3:
        return f"layer 1 gets {pow10(r)} of the gradient of layer {depth}: vanishing"
    if r > 1e3:
        return f"layer 1 gets {pow10(r)} times the gradient of layer {depth}: exploding toward the input"
    return f"gradients of layers 1 and {depth} are within {max(r, 1 / r):.1f}× of each other: no vanishing or exploding"


def verdict(records: list[dict]) -> str:
    """Plain words for one run, from its records (epoch 0 = at initialization)."""
    if not records:
        return "not started"
    last, depth = records[-1], records[-1].get("depth", 0)
    if last.get("status") == "diverged":
        return f"{last.get('message', 'diverged')}: the loss overflowed to inf/NaN."
    parts = []
    first = records[0]
    if first.get("epoch") == 0 and (words := _ratio_words(first.get("layers", []), depth)):
        parts.append(f"At initialization {words}.")
    if last is not first and (words := _ratio_words(last.get("layers", []), depth)):
        parts.append(f"At epoch {last['epoch']:g} {words}.")
    sat = [row["saturated"] for row in last.get("layers", []) if row.get("saturated") is not None]
    if sat and (share := sum(sat) / len(sat)) >= 0.2:
        parts.append(f"{share:.0%} of units sit within 0.01 of a bound (saturated).")
    acc, chance = last.get("val_acc"), last.get("chance", 0.1)
    if acc is not None and last is not first:
        learns = "it learns" if acc >= 2 * chance else "it does not learn"
        parts.append(f"Validation accuracy {acc:.0%} (chance {chance:.0%}): {learns}.")
    return " ".join(parts) or "measuring..."


@shared
def headline(records: list[dict]) -> str:
    """Per configuration: where it ended (validation accuracy, or where it diverged)."""
    return frames.headline(records)


def table(records: list[dict]) -> pd.DataFrame:
    return frames.flat(records)
