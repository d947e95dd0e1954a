"""The learning-rate sweep's chart: the metric against the rate, one line per optimizer with a
band over seeds, each optimizer's best rate marked and (for accuracy) its good region drawn."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import MAX_LOSS_SHOWN, PALETTE, WIDTH, Spec, compile_spec as _compile, with_data as _with_data


@functools.lru_cache(maxsize=64)
def _template(metric: str, lo: float, hi: float, optimizers: tuple[str, ...]) -> Spec:
    sel = alt.selection_point(name="highlight_sweep", fields=["optimizer"], bind="legend")
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(optimizers))]
    color = alt.Color("optimizer:N", title="optimizer", scale=alt.Scale(domain=list(optimizers), range=colours),
                      legend=alt.Legend(labelLimit=300))
    x = alt.X("lr:Q", title="learning rate (log scale)", scale=alt.Scale(type="log", domain=[lo, hi]),
              axis=alt.Axis(format="~g"))
    if metric == "accuracy":
        y_title, scale = "validation accuracy at the last epoch", alt.Scale(domain=[0, 1])
        fmt = ".1%"
    else:
        y_title, scale = "validation loss at the last epoch (nats, log scale)", alt.Scale(
            type="log", domainMax=MAX_LOSS_SHOWN, clamp=True)
        fmt = ".4g"
    opacity = alt.condition(sel, alt.value(1.0), alt.value(0.12))
    tooltip = ["optimizer:N", alt.Tooltip("lr:Q", format=".3g", title="learning rate"),
               alt.Tooltip("mean:Q", format=fmt, title="mean over seeds"), alt.Tooltip("lo:Q", format=fmt),
               alt.Tooltip("hi:Q", format=fmt), alt.Tooltip("ended:Q", title="seeds ended"),
               alt.Tooltip("failed:Q", title="seeds failed")]
    base = alt.Chart(alt.Data(name="curves")).encode(x=x, color=color, tooltip=tooltip)
    band = base.mark_area().encode(y=alt.Y("lo:Q", title=y_title, scale=scale), y2="hi:Q",
                                   opacity=alt.condition(sel, alt.value(0.18), alt.value(0.03)))
    line = base.mark_line(point=alt.OverlayMarkDef(size=25)).encode(y=alt.Y("mean:Q", title=y_title, scale=scale),
                                                                   opacity=opacity)
    marks = alt.Chart(alt.Data(name="best"))
    best = marks.mark_point(shape="diamond", size=220, filled=True, stroke="black", strokeWidth=1).encode(
        x=x, y=alt.Y("y:Q", scale=scale), color=color, opacity=opacity,
        tooltip=["optimizer:N", alt.Tooltip("label:N", title="best")])
    title = ("Validation accuracy against learning rate (mean over seeds, band; ◆ best rate)" if metric == "accuracy"
             else "Validation loss against learning rate (mean over seeds, band; ◆ the best rate on accuracy)")
    main = alt.layer(band, line, best).properties(title=title, width=2 * WIDTH + 40, height=320)
    # each optimizer's good region on a lane of its own, on the same rate axis
    lane = alt.Y("optimizer:N", title=None, sort=list(optimizers))
    region_tip = ["optimizer:N", alt.Tooltip("from:Q", format=".3g", title="good from"),
                  alt.Tooltip("to:Q", format=".3g", title="good to"),
                  alt.Tooltip("width:Q", format=".2f", title="width (decades)"), alt.Tooltip("label:N", title="best")]
    bars = marks.mark_rule(strokeWidth=8, strokeCap="round").encode(
        x=alt.X("from:Q", title="learning rate (log scale)", scale=alt.Scale(type="log", domain=[lo, hi]),
                axis=alt.Axis(format="~g")), x2="to:Q", y=lane, color=color, tooltip=region_tip,
        opacity=alt.condition(sel, alt.value(0.55), alt.value(0.08)))
    dots = marks.mark_point(shape="diamond", size=120, filled=True, stroke="black", strokeWidth=1).encode(
        x="lr:Q", y=lane, color=color, tooltip=region_tip, opacity=opacity)
    widths = marks.mark_text(align="left", dx=8, fontSize=11).encode(
        x="to:Q", y=lane, text="caption:N", opacity=opacity)
    strip = alt.layer(bars, dots, widths).properties(
        title="Good region: rates whose mean accuracy is within a point of the best (width in decades)",
        width=2 * WIDTH + 40, height=max(60, 22 * len(optimizers)))
    return _compile(alt.vconcat(main.add_params(sel), strip).resolve_scale(color="shared"))


def sweep_chart(curves: pd.DataFrame, best: pd.DataFrame, *, metric: str, lo: float, hi: float,
                optimizers: list[str]) -> Spec:
    """Mean line and band per optimizer against the learning rate, with its best rate marked."""
    return _with_data(_template(metric, lo, hi, tuple(optimizers)), curves=curves, best=best)
