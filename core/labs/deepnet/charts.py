"""The Deep-net lab's charts: weight norm and near-zero share per layer, the net's weight norm
over training, and decision boundaries side by side."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import Spec, compile_spec, run_color, run_selection, with_data
from core.regularize import SPARSE_EPS

PANEL = 200  # a decision-boundary panel's side, in pixels
PANELS_PER_ROW = 3
PLOT = 360  # width of each of a pair of plots side by side, their legend below them
TWO = alt.Scale(range=["#1f4e9c", "#b3400a"])  # the two classes' points: darker than the heatmap's ends


@functools.lru_cache(maxsize=64)
def _layers_template(runs: tuple[str, ...]) -> Spec:
    sel = run_selection("highlight_layers")
    base = alt.Chart(alt.Data(name="layers")).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="layer (1 = input side, last = output)", axis=alt.Axis(tickMinStep=1)),
        color=run_color(runs), opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("weight_norm:Q", format=".3f", title="‖W‖"),
                 alt.Tooltip("sparsity:Q", format=".1%", title="near zero")])
    norm = base.encode(y=alt.Y("weight_norm:Q", title="‖W‖, Frobenius norm", scale=alt.Scale(zero=False))
                       ).add_params(sel).properties(title="Weight norm per layer, latest", width=PLOT, height=260)
    zero = base.encode(y=alt.Y("sparsity:Q", title=f"share of weights with |w| < {SPARSE_EPS:g}",
                               axis=alt.Axis(format="%"))
                       ).properties(title="Near-zero weights per layer, latest", width=PLOT, height=260)
    return compile_spec(alt.hconcat(norm, zero).properties(title="Weights per layer at the latest report")
                        .configure_legend(orient="bottom", direction="vertical"))


def layers(df: pd.DataFrame, *, runs: list[str]) -> Spec:
    """Weight norm and share of near-zero weights against layer at each run's latest report."""
    data = df.dropna(subset=["weight_norm"])[["run", "epoch", "layer", "weight_norm", "sparsity"]]
    return with_data(_layers_template(tuple(runs)), layers=data)


@functools.lru_cache(maxsize=64)
def _history_template(epochs: int, runs: tuple[str, ...]) -> Spec:
    sel = run_selection("highlight_weights")
    base = alt.Chart(alt.Data(name="weights")).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs])), color=run_color(runs),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "epoch:Q", alt.Tooltip("weight norm:Q", format=".2f"),
                 alt.Tooltip("near-zero weights:Q", format=".1%")])
    norm = base.encode(y=alt.Y("weight norm:Q", title="‖W‖ of the whole net (all layers)",
                               scale=alt.Scale(zero=False))).add_params(sel).properties(
        title="Weight norm over training", width=PLOT, height=220)
    zero = base.encode(y=alt.Y("near-zero weights:Q", title=f"weights with |w| < {SPARSE_EPS:g} (mean over layers)",
                               axis=alt.Axis(format="%"))).properties(
        title="Near-zero weights over training", width=PLOT, height=220)
    return compile_spec(alt.hconcat(norm, zero).properties(title="Weights over training")
                        .configure_legend(orient="bottom", direction="vertical"))


def weight_history(df: pd.DataFrame, *, epochs: int, runs: list[str]) -> Spec:
    return with_data(_history_template(int(epochs), tuple(runs)), weights=df)


def _fill(classes: int, legend: bool) -> tuple[alt.Color, list, alt.Opacity | alt.ValueChannel]:
    """The heatmap's colour (P(class 1) for two classes, else the predicted class, its
    probability as opacity), tooltip and opacity."""
    if classes == 2:
        scale = alt.Scale(scheme="blueorange", domain=[0, 1])
        return (alt.Color("p:Q", title="P(class 1)", scale=scale, legend=alt.Legend() if legend else None),
                [alt.Tooltip("p:Q", format=".2f", title="P(class 1)")], alt.value(0.85))
    return (alt.Color("cls:N", title="predicted class", scale=alt.Scale(scheme="category10"),
                      legend=alt.Legend() if legend else None),
            ["cls:N", alt.Tooltip("p:Q", format=".2f", title="its probability")],
            alt.Opacity("p:Q", scale=alt.Scale(domain=[1 / classes, 1], range=[0.15, 0.9]), legend=None))


@functools.lru_cache(maxsize=64)
def _boundary_template(runs: tuple[str, ...], classes: int) -> Spec:
    axis = dict(scale=alt.Scale(nice=False, zero=False))
    panels = []
    for i, run in enumerate(runs):
        fill, tip, opacity = _fill(classes, legend=i == 0)  # one legend for all panels
        cells = alt.Chart(alt.Data(name="grid")).transform_filter(alt.datum.run == run).mark_rect().encode(
            x=alt.X("x:Q", title="x₁", **axis), x2="x2:Q", y=alt.Y("y:Q", title="x₂", **axis), y2="y2:Q",
            color=fill, opacity=opacity, tooltip=tip)
        dots = alt.Chart(alt.Data(name="points")).transform_filter(alt.datum.run == run).mark_circle(
            size=16, stroke="white", strokeWidth=0.5, opacity=1).encode(
            x=alt.X("x:Q", **axis), y=alt.Y("y:Q", **axis),
            color=alt.Color("cls:N", title="true class", scale=TWO if classes == 2 else alt.Scale(scheme="category10"),
                            legend=alt.Legend() if i == 0 else None), tooltip=["cls:N"])
        panels.append(alt.layer(cells, dots).resolve_scale(color="independent").properties(
            title=alt.TitleParams(run, fontSize=12, limit=PANEL + 40), width=PANEL, height=PANEL))
    rows = [alt.hconcat(*panels[i:i + PANELS_PER_ROW]) for i in range(0, len(panels), PANELS_PER_ROW)]
    return compile_spec(alt.vconcat(*rows).properties(title="Decision boundaries, train points on top"))


def boundaries(grids: pd.DataFrame, points: pd.DataFrame, *, runs: list[str], classes: int) -> Spec:
    """Per run, its latest grid of class probabilities (a heatmap) under the train points."""
    return with_data(_boundary_template(tuple(runs), int(classes)), grid=grids, points=points)
