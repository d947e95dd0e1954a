"""The Vanishing-gradients lab's charts: gradient norm per layer over training and at the
latest report, saturation per layer."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import Spec, compile_spec as _compile, run_color as _run_color, \
    run_selection as _run_selection, with_data as _with_data

TINY = 1e-30  # floor for the heatmap's log scale: a gradient of exactly 0 gets the darkest colour


@functools.lru_cache(maxsize=64)
def _heatmap_template(columns: int, runs: tuple[str, ...]) -> Spec:
    chart = alt.Chart(alt.Data(name="layers")).mark_rect().encode(
        x=alt.X("epoch:O", title="epoch (0 = at initialization)"),
        y=alt.Y("layer:O", title="layer (1 = input side)", sort="descending"),
        color=alt.Color("grad_norm:Q", title="‖∇W‖ (log)", scale=alt.Scale(type="log", scheme="viridis")),
        tooltip=["run:N", "epoch:Q", "layer:Q", alt.Tooltip("grad_norm:Q", format=".3e", title="‖∇W‖")],
    ).properties(width=220, height=200).facet(
        facet=alt.Facet("run:N", title=None, sort=list(runs)), columns=columns
    ).properties(title="Gradient norm per layer over training")
    return _compile(chart)


def grad_heatmap(df: pd.DataFrame, *, runs: list[str], columns: int = 3) -> Spec:
    """Gradient norm per layer (rows, input at the bottom) over epochs, log colour scale."""
    data = df.dropna(subset=["grad_norm"]).assign(grad_norm=lambda d: d["grad_norm"].clip(lower=TINY))
    return _with_data(_heatmap_template(columns, tuple(runs)), layers=data[["run", "epoch", "layer", "grad_norm"]])


@functools.lru_cache(maxsize=64)
def _profile_template(runs: tuple[str, ...]) -> Spec:
    sel = _run_selection("highlight_profile")
    chart = alt.Chart(alt.Data(name="profile")).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="layer (1 = input side, last = output)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("grad_norm:Q", title="‖∇W‖ at the latest report (log scale)", scale=alt.Scale(type="log")),
        color=_run_color(runs),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("grad_norm:Q", format=".3e", title="‖∇W‖")],
    ).add_params(sel).properties(title="Gradient norm per layer, latest", height=360)
    return _compile(chart)


def grad_profile(df: pd.DataFrame, *, runs: list[str]) -> Spec:
    """Gradient norm against layer at each run's latest report, one line per run.
    A gradient of exactly 0 has no place on a log axis and is left out (the verdict says so)."""
    data = df.dropna(subset=["grad_norm"]).query("grad_norm > 0")
    return _with_data(_profile_template(tuple(runs)), profile=data[["run", "epoch", "layer", "grad_norm"]])


@functools.lru_cache(maxsize=64)
def _saturation_template(runs: tuple[str, ...], shown: tuple[str, ...]) -> Spec:
    sel = _run_selection("highlight_saturation")
    chart = alt.Chart(alt.Data(name="saturation")).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="hidden layer (1 = input side)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("saturated:Q", title="saturated units", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=_run_color(runs, shown),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("saturated:Q", format=".1%")],
    ).add_params(sel).properties(title="Saturated units per layer (bounded activations)", height=320)
    return _compile(chart)


def saturation(df: pd.DataFrame, *, runs: list[str]) -> Spec:
    """Share of hidden units within 0.01 of a bound, per layer, for bounded activations
    (only runs that have the measure are in the legend)."""
    data = df.dropna(subset=["saturated"])
    shown = tuple(r for r in runs if r in set(data["run"]))
    return _with_data(_saturation_template(tuple(runs), shown), saturation=data[["run", "layer", "saturated"]])
