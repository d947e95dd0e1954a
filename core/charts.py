"""Pure Altair builders: DataFrame in, chart out. Definitions stay fixed while data grows
(fixed x domains where known, fixed titles), so a live chart updates without flicker."""
from __future__ import annotations

import altair as alt
import pandas as pd

TINY = 1e-30  # floor for log scales: a gradient of exactly 0 is drawn at the bottom
WIDTH = 320


def _run_selection() -> alt.Parameter:
    # Clicking a legend entry highlights that run.
    return alt.selection_point(fields=["run"], bind="legend")


def learning_curves(df: pd.DataFrame, *, epochs: int, status: pd.DataFrame | None = None) -> alt.HConcatChart:
    """Loss (log axis) and accuracy against epoch; solid = validation, dashed = train.
    A diverged run gets a cross where it diverged."""
    sel = _run_selection()
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs]))
    tooltip = ["run:N", "split:N", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4g")]
    base = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x,
        color=alt.Color("run:N", title="configuration"),
        strokeDash=alt.StrokeDash("split:N", title="split", sort=["validation", "train"]),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=tooltip,
    )
    loss = base.transform_filter(alt.datum.metric == "loss").encode(
        y=alt.Y("value:Q", title="cross-entropy loss (nats, log scale)", scale=alt.Scale(type="log"))
    ).add_params(sel).properties(title="Loss", width=WIDTH, height=240)
    acc = base.transform_filter(alt.datum.metric == "accuracy").encode(
        y=alt.Y("value:Q", title="accuracy", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    ).properties(title="Accuracy", width=WIDTH, height=240)
    if status is not None and not status.empty:
        div = status.dropna(subset=["diverged_epoch"])
        marks = alt.Chart(div).mark_rule(strokeDash=[2, 2], color="#d62728").encode(
            x="diverged_epoch:Q", tooltip=["run:N", "message:N"])
        loss, acc = loss + marks, acc + marks
    return alt.hconcat(loss, acc)


def grad_heatmap(df: pd.DataFrame, *, columns: int = 2) -> alt.FacetChart:
    """Gradient norm per layer (rows, input at the bottom) over epochs, log colour scale."""
    data = df.dropna(subset=["grad_norm"]).assign(grad_norm=lambda d: d["grad_norm"].clip(lower=TINY))
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("epoch:O", title="epoch (0 = at initialization)"),
        y=alt.Y("layer:O", title="layer (1 = input side)", sort="descending"),
        color=alt.Color("grad_norm:Q", title="‖∇W‖ (log)", scale=alt.Scale(type="log", scheme="viridis")),
        tooltip=["run:N", "epoch:Q", "layer:Q", alt.Tooltip("grad_norm:Q", format=".3e", title="‖∇W‖")],
    ).properties(width=WIDTH - 40, height=220).facet(
        facet=alt.Facet("run:N", title=None), columns=columns
    ).properties(title="Gradient norm per layer over training")


def grad_profile(df: pd.DataFrame) -> alt.Chart:
    """Gradient norm against layer at each run's latest report, one line per run.
    A gradient of exactly 0 has no place on a log axis and is left out (the verdict says so)."""
    data = df.dropna(subset=["grad_norm"]).query("grad_norm > 0")
    sel = _run_selection()
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="layer (1 = input side, last = output)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("grad_norm:Q", title="‖∇W‖ at the latest report (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("run:N", title="configuration"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("grad_norm:Q", format=".3e", title="‖∇W‖")],
    ).add_params(sel).properties(title="Gradient norm per layer, latest", height=360)


def saturation(df: pd.DataFrame) -> alt.Chart:
    """Share of hidden units within 0.01 of a bound, per layer, for bounded activations."""
    data = df.dropna(subset=["saturated"])
    sel = _run_selection()
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="hidden layer (1 = input side)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("saturated:Q", title="saturated units", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("run:N", title="configuration"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("saturated:Q", format=".1%")],
    ).add_params(sel).properties(title="Saturated units per layer (bounded activations)", height=320)
