"""The chart base every lab builds on: DataFrames in, a Vega-Lite spec out (for
`st.vega_lite_chart(spec=...)`); the palette, compile-once templates, and the learning curves.
Each lab's own charts live in its folder (core/labs/NAME/charts.py).

Each chart is written in Altair against *named* datasets and compiled to a Vega-Lite dict once
per set of fixed parameters (cached); a redraw only attaches the current DataFrames. Building
and validating the Altair objects costs ~150 ms per redraw of a lab, which, twice a second,
starves the training thread of the GIL on a small CPU; attaching data costs well under 1 ms.
The definition therefore stays fixed while the data grows (fixed x domains, titles and
parameter names), so a live chart updates without flicker.
"""
from __future__ import annotations

import functools
import threading
from typing import Any

import altair as alt
import pandas as pd

Spec = dict[str, Any]
WIDTH = 320
MAX_LOSS_SHOWN = 100.0  # nats; chance on 10 classes is 2.3


_compile_lock = threading.Lock()  # Altair's theme switch is process-global


def compile_spec(chart: alt.TopLevelMixin) -> Spec:
    """Altair -> Vega-Lite dict, without Altair's default theme (Streamlit's own theme applies)."""
    with _compile_lock, alt.theme.enable("none"):
        return chart.to_dict()


def with_data(template: Spec, **frames: pd.DataFrame) -> Spec:
    spec = dict(template)  # shallow: only "datasets" differs between redraws
    spec["datasets"] = frames
    return spec


def run_selection(name: str) -> alt.Parameter:
    # Clicking a legend entry highlights that run.
    return alt.selection_point(name=name, fields=["run"], bind="legend")


PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac", "#17becf", "#bcbd22"]  # Tableau 10, then two so 12 activations differ


def run_color(runs: tuple[str, ...], shown: tuple[str, ...] | None = None) -> alt.Color:
    # Run i always gets PALETTE[i], in every chart and as runs start; `shown` limits the legend.
    shown = runs if shown is None else shown
    colours = [PALETTE[runs.index(r) % len(PALETTE)] for r in shown]
    return alt.Color("run:N", title="configuration", scale=alt.Scale(domain=list(shown), range=colours),
                     legend=alt.Legend(labelLimit=300))


@functools.lru_cache(maxsize=64)
def _curves_template(epochs: int, runs: tuple[str, ...], shown: tuple[str, ...] | None = None) -> Spec:
    sel = run_selection("highlight_curves")
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs]))
    tooltip = ["run:N", "split:N", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4g")]
    base = alt.Chart(alt.Data(name="curves")).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x, color=run_color(runs, shown),
        strokeDash=alt.StrokeDash("split:N", title="split", sort=["validation", "train"]),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=tooltip,
    )
    diverged = alt.Chart(alt.Data(name="diverged")).mark_rule(strokeDash=[2, 2], color="#d62728").encode(
        x="diverged_epoch:Q", tooltip=["run:N", "message:N"])
    loss = (base.transform_filter(alt.datum.metric == "loss").encode(
        # Clamped at 100 nats so one exploding run does not flatten the others; tooltips keep the value.
        y=alt.Y("value:Q", title="cross-entropy loss (nats, log scale)",
                scale=alt.Scale(type="log", domainMax=MAX_LOSS_SHOWN, clamp=True))
    ).add_params(sel) + diverged).properties(title="Loss", width=WIDTH, height=240)
    acc = (base.transform_filter(alt.datum.metric == "accuracy").encode(
        y=alt.Y("value:Q", title="accuracy", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    ) + diverged).properties(title="Accuracy", width=WIDTH, height=240)
    return compile_spec(alt.hconcat(loss, acc))


def learning_curves(df: pd.DataFrame, *, epochs: int, runs: list[str], status: pd.DataFrame | None = None,
                    shown: list[str] | None = None) -> Spec:
    """Loss (log axis) and accuracy against epoch; solid = validation, dashed = train.
    A dotted red rule marks the epoch where a run diverged. `shown` limits the legend to those
    runs, each keeping the colour of its place in `runs`."""
    diverged = (status.dropna(subset=["diverged_epoch"]) if status is not None
                else pd.DataFrame(columns=["run", "message", "diverged_epoch"]))
    template = _curves_template(int(epochs), tuple(runs), tuple(shown) if shown is not None else None)
    return with_data(template, curves=df, diverged=diverged)
