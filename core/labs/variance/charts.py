"""The Initialization-variance lab's charts: spread and gain per layer, histograms."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, Spec, compile_spec as _compile, with_data as _with_data


def _combo_color(combos: tuple[str, ...]) -> alt.Color:
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(combos))]
    return alt.Color("combo:N", title="activation + initializer",
                     scale=alt.Scale(domain=list(combos), range=colours), legend=alt.Legend(labelLimit=300))


@functools.lru_cache(maxsize=64)
def _spread_template(field: str, title: str, y_title: str, combos: tuple[str, ...]) -> Spec:
    sel = alt.selection_point(name=f"highlight_{field}", fields=["combo"], bind="legend")
    chart = alt.Chart(alt.Data(name="spread")).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("layer:Q", title="hidden layer (1 = input side)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y(f"{field}:Q", title=y_title, scale=alt.Scale(type="log")),
        color=_combo_color(combos),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["combo:N", "layer:Q", alt.Tooltip(f"{field}:Q", format=".3e")],
    ).add_params(sel).properties(title=title, height=340)
    return _compile(chart)


def spread_by_layer(df: pd.DataFrame, *, field: str, title: str, y_title: str, combos: list[str]) -> Spec:
    """One line per activation + initializer of a positive per-layer quantity, on a log axis
    (exact zeros and overflowed layers are left out)."""
    data = df[["combo", "layer", field]].dropna().query(f"{field} > 0") if not df.empty else df
    return _with_data(_spread_template(field, title, y_title, tuple(combos)), spread=data)


@functools.lru_cache(maxsize=64)
def _gain_template(direction: str, combos: tuple[str, ...]) -> Spec:
    arrow = "layer l → l+1" if direction == "forward" else "layer l+1 → l"
    what = "E[z²] ratio" if direction == "forward" else "Var(∂loss/∂z) ratio"
    lines = alt.Chart(alt.Data(name="gain")).mark_line().encode(
        x=alt.X("layer:Q", title="hidden layer l", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("gain:Q", title=f"gain per layer, {what} (log)", scale=alt.Scale(type="log")),
        color=_combo_color(combos),
        strokeDash=alt.StrokeDash("source:N", title="", sort=["measured", "theory"],
                                  scale=alt.Scale(domain=["measured", "theory"], range=[[1, 0], [5, 3]])),
        tooltip=["combo:N", "source:N", "layer:Q", alt.Tooltip("gain:Q", format=".3f")],
    )
    one = alt.Chart(alt.Data(name="one")).mark_rule(color="#888", strokeDash=[2, 2]).encode(y="gain:Q")
    title = f"{direction.capitalize()} gain per layer, {arrow}"
    return _compile((lines + one).properties(title=title, height=320))


def gain_by_layer(df: pd.DataFrame, *, direction: str, combos: list[str]) -> Spec:
    """Measured gain per layer (solid) beside the mean-field prediction (dashed); 1 = stable."""
    measured, theory = f"{direction}_gain", f"{direction}_theory"
    parts = []
    if not df.empty and measured in df:
        for source, col in (("measured", measured), ("theory", theory)):
            part = df[["combo", "layer", col]].rename(columns={col: "gain"}).dropna().query("gain > 0")
            parts.append(part.assign(source=source))
    data = pd.concat(parts) if parts else pd.DataFrame(columns=["combo", "layer", "gain", "source"])
    return _with_data(_gain_template(direction, tuple(combos)), gain=data, one=pd.DataFrame({"gain": [1.0]}))


@functools.lru_cache(maxsize=64)
def _hist_template(combos: tuple[str, ...]) -> Spec:
    bars = alt.Chart(alt.Data(name="hist")).mark_rect().encode(
        x=alt.X("bin_start:Q", title=None, axis=alt.Axis(tickCount=3)), x2="bin_end:Q",
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format="%", tickCount=3)),
        color=_combo_color(combos),
        tooltip=["combo:N", "layer:Q", alt.Tooltip("bin_start:Q", format=".3g", title="from"),
                 alt.Tooltip("bin_end:Q", format=".3g", title="to"), alt.Tooltip("share:Q", format=".1%")],
    ).properties(width=105, height=80)
    chart = bars.facet(
        row=alt.Row("combo:N", title=None, sort=list(combos), header=alt.Header(labelAngle=0, labelAlign="left")),
        column=alt.Column("layer:O", title="layer"),
    ).resolve_scale(x="independent", y="independent").properties(
        title="Histograms of activations f(z): share of values per bin")
    return _compile(chart)


def activation_histograms(df: pd.DataFrame, *, combos: list[str]) -> Spec:
    """Small multiples: one row per activation + initializer, one column per chosen layer."""
    return _with_data(_hist_template(tuple(combos)), hist=df)
