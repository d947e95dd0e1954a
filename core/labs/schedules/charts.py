"""The Learning-rate-schedules lab's charts: previews, the range test, the race."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, WIDTH, Spec, compile_spec as _compile, with_data as _with_data


def _schedule_color(names: tuple[str, ...], title: str = "schedule") -> alt.Color:
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    return alt.Color("schedule:N", title=title, scale=alt.Scale(domain=list(names), range=colours),
                     legend=alt.Legend(labelLimit=300))


@functools.lru_cache(maxsize=64)
def _preview_template(names: tuple[str, ...], log_y: bool, with_losses: bool) -> Spec:
    sel = alt.selection_point(name="highlight_preview", fields=["schedule"], bind="legend")
    y_scale = alt.Scale(type="log") if log_y else alt.Scale(zero=True)
    lines = alt.Chart(alt.Data(name="preview")).mark_line(interpolate="step-after").encode(
        x=alt.X("step:Q", title="optimizer step (batches)"),
        y=alt.Y("lr:Q", title="learning rate" + (" (log scale)" if log_y else ""), scale=y_scale),
        color=_schedule_color(names), opacity=alt.condition(sel, alt.value(1.0), alt.value(0.12)),
        tooltip=["schedule:N", alt.Tooltip("step:Q", title="step"), alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("lr:Q", format=".4g", title="learning rate"), alt.Tooltip("interval:N", title="stepped per")],
    ).add_params(sel).properties(title="Learning rate at every optimizer step", width=2 * WIDTH + 60, height=280)
    if not with_losses:
        return _compile(lines)
    losses = alt.Chart(alt.Data(name="losses")).mark_line(point=True, color="#888").encode(
        x=alt.X("epoch:Q", title="epoch"), y=alt.Y("loss:Q", title="validation loss (simulated)"),
        tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("loss:Q", format=".4f")],
    ).properties(title="The validation loss ReduceLROnPlateau reads (simulated: falls, then flat)",
                 width=2 * WIDTH + 60, height=110)
    return _compile(alt.vconcat(lines, losses))


def schedule_preview(df: pd.DataFrame, *, names: list[str], log_y: bool = False,
                     losses: pd.DataFrame | None = None) -> Spec:
    """Learning rate against optimizer step for each schedule (a staircase when stepped per
    epoch); with `losses`, the simulated validation loss that plateau schedules read."""
    template = _preview_template(tuple(names), log_y, losses is not None)
    return _with_data(template, preview=df, **({"losses": losses} if losses is not None else {}))


@functools.lru_cache(maxsize=8)
def _finder_template(start: float, end: float) -> Spec:
    x = alt.X("lr:Q", title="learning rate (log scale)", scale=alt.Scale(type="log", domain=[start, end]))
    y = alt.Y("value:Q", title="training loss (nats)", scale=alt.Scale(zero=False))
    points = alt.Chart(alt.Data(name="points"))
    raw = points.transform_calculate(value="datum.loss_shown").mark_circle(size=14, color="#bbb").encode(
        x=x, y=y, tooltip=[alt.Tooltip("lr:Q", format=".3g", title="learning rate"),
                           alt.Tooltip("loss:Q", format=".4f", title="loss of that batch")])
    smooth = points.transform_calculate(value="datum.smoothed_shown").mark_line(color=PALETTE[0], strokeWidth=2.5).encode(
        x=x, y=y, tooltip=[alt.Tooltip("lr:Q", format=".3g", title="learning rate"),
                           alt.Tooltip("smoothed:Q", format=".4f", title="smoothed loss")])
    marks = alt.Chart(alt.Data(name="marks"))
    scale = alt.Scale(domain=["steepest descent", "minimum ÷ 10"], range=[PALETTE[2], PALETTE[4]])
    colour = alt.Color("label:N", title="suggestion", scale=scale)
    rules = marks.mark_rule(strokeDash=[5, 3], strokeWidth=2).encode(
        x="lr:Q", color=colour, tooltip=["label:N", alt.Tooltip("lr:Q", format=".3g", title="learning rate")])
    text = marks.mark_text(align="left", dx=4, fontSize=12).encode(
        x="lr:Q", y=alt.Y("ypix:Q", scale=None), text="text:N", color=alt.Color("label:N", scale=scale, legend=None))
    return _compile((raw + smooth + rules + text).properties(
        title="LR range test: loss as the learning rate rises (grey: each batch, line: smoothed; clipped above)",
        width=2 * WIDTH + 60, height=300))


def lr_finder(points: pd.DataFrame, marks: pd.DataFrame, *, start: float, end: float) -> Spec:
    """Per-batch and smoothed loss against the learning rate (log axis), with the suggestions."""
    return _with_data(_finder_template(float(start), float(end)), points=points, marks=marks)


@functools.lru_cache(maxsize=64)
def _schedule_race_template(names: tuple[str, ...], x_title: str, x_max: float | None) -> Spec:
    sel = alt.selection_point(name="highlight_schedules", fields=["schedule"], bind="legend")
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, x_max]) if x_max else alt.Undefined)
    base = alt.Chart(alt.Data(name="curves")).encode(
        x=x, color=_schedule_color(names), opacity=alt.condition(sel, alt.value(1.0), alt.value(0.12)),
        tooltip=["schedule:N", "metric:N", alt.Tooltip("x:Q", format=".3g", title=x_title),
                 alt.Tooltip("value:Q", format=".4g")])
    lr = base.transform_filter(alt.datum.metric == "learning rate").mark_line(
        interpolate="step-after", point=alt.OverlayMarkDef(size=10)).encode(
        y=alt.Y("value:Q", title="learning rate (log scale)", scale=alt.Scale(type="log"))
    ).add_params(sel).properties(title="Learning rate", width=2 * WIDTH + 60, height=150)
    loss = base.transform_filter(alt.datum.metric != "learning rate").mark_line(
        point=alt.OverlayMarkDef(size=10)).encode(
        y=alt.Y("value:Q", title="cross-entropy loss (nats, log scale)",
                scale=alt.Scale(type="log", domainMax=10, clamp=True)),  # chance on 10 classes: 2.3
        strokeDash=alt.StrokeDash("metric:N", title="split", sort=["validation loss", "train loss"]),
    ).properties(title="Training and validation loss", width=2 * WIDTH + 60, height=260)
    return _compile(alt.vconcat(lr, loss).resolve_scale(x="shared"))


def schedule_race(curves: pd.DataFrame, *, names: list[str], x_title: str, x_max: float | None = None) -> Spec:
    """Learning rate above the losses it produces, one colour per schedule, one shared x."""
    return _with_data(_schedule_race_template(tuple(names), x_title, x_max), curves=curves)
