"""The Optimizer-race lab's chart: mean curves with a band over seeds."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import MAX_LOSS_SHOWN, PALETTE, WIDTH, Spec, compile_spec as _compile, with_data as _with_data


@functools.lru_cache(maxsize=64)
def _race_template(x_title: str, x_max: float | None, entrants: tuple[str, ...]) -> Spec:
    sel = alt.selection_point(name="highlight_race", fields=["entrant"], bind="legend")
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(entrants))]
    color = alt.Color("entrant:N", title="optimizer", scale=alt.Scale(domain=list(entrants), range=colours),
                      legend=alt.Legend(labelLimit=300))
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, x_max]) if x_max else alt.Undefined)
    opacity = alt.condition(sel, alt.value(1.0), alt.value(0.12))
    tooltip = ["entrant:N", alt.Tooltip("x:Q", format=".3g", title=x_title), alt.Tooltip("mean:Q", format=".4g"),
               alt.Tooltip("lo:Q", format=".4g"), alt.Tooltip("hi:Q", format=".4g"), "seeds:Q"]
    base = alt.Chart(alt.Data(name="curves")).encode(x=x, color=color, tooltip=tooltip)
    stops = alt.Chart(alt.Data(name="diverged")).mark_rule(strokeDash=[3, 3]).encode(
        x="x:Q", color=color, tooltip=["entrant:N", "seed:Q", "message:N"])

    def panel(metric: str, y_title: str, scale: alt.Scale, title: str):
        rows = base.transform_filter(alt.datum.metric == metric)
        band = rows.mark_area().encode(
            y=alt.Y("lo:Q", title=y_title, scale=scale), y2="hi:Q",
            opacity=alt.condition(sel, alt.value(0.18), alt.value(0.03)))
        line = rows.mark_line(point=alt.OverlayMarkDef(size=10)).encode(
            y=alt.Y("mean:Q", title=y_title, scale=scale), opacity=opacity)
        return (band + line + stops).properties(title=title, width=WIDTH - 20, height=260)

    loss = panel("train loss", "train loss (nats, log scale)",
                 alt.Scale(type="log", domainMax=MAX_LOSS_SHOWN, clamp=True), "Training loss (mean over seeds, band)")
    acc = panel("validation accuracy", "validation accuracy", alt.Scale(domain=[0, 1]),
                "Validation accuracy (mean over seeds, band)")
    return _compile(alt.hconcat(loss.add_params(sel), acc))


def race_curves(curves: pd.DataFrame, diverged: pd.DataFrame, *, x_title: str, entrants: list[str],
                x_max: float | None = None) -> Spec:
    """Mean line and band per optimizer: training loss (log) and validation accuracy."""
    return _with_data(_race_template(x_title, x_max, tuple(entrants)), curves=curves, diverged=diverged)
