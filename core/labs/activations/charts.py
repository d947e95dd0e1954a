"""The Activations lab's charts: shapes and slopes, gradient through depth, gated units,
dead units."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, Spec, compile_spec as _compile, run_color as _run_color, \
    run_selection as _run_selection, with_data as _with_data


def _activation_color(order: tuple[str, ...], shown: tuple[str, ...]) -> alt.Color:
    # Activation i of the registry always gets PALETTE[i]; the legend lists the ones shown.
    colours = [PALETTE[order.index(a) % len(PALETTE)] for a in shown]
    return alt.Color("activation:N", title="activation", scale=alt.Scale(domain=list(shown), range=colours),
                     legend=alt.Legend(labelLimit=300))


@functools.lru_cache(maxsize=64)
def _shapes_template(order: tuple[str, ...], shown: tuple[str, ...]) -> Spec:
    color = _activation_color(order, shown).legend(orient="top", labelLimit=300)
    x = alt.X("z:Q", title="pre-activation z", scale=alt.Scale(nice=False, zero=False))
    tip = ["activation:N", alt.Tooltip("z:Q", format=".3f"), alt.Tooltip("f:Q", format=".4g", title="f(z)"),
           alt.Tooltip("df:Q", format=".4g", title="f′(z)")]
    lines = alt.Chart(alt.Data(name="curves")).mark_line().encode(x=x.title(None), color=color, tooltip=tip)
    rule = alt.Chart(alt.Data(name="readout")).mark_rule(color="#666", strokeDash=[4, 3]).encode(x="z:Q")
    dots = alt.Chart(alt.Data(name="readout")).mark_point(filled=True, size=60).encode(
        x="z:Q", color=color, tooltip=tip)
    band = alt.Chart(alt.Data(name="threshold")).mark_rule(color="#999", strokeDash=[2, 2]).encode(
        y="df:Q", tooltip=[alt.Tooltip("df:Q", title="±threshold", format=".3g")])
    # Under each panel, one strip per activation shaded where it saturates, on the panel's z axis.
    strip = alt.Chart(alt.Data(name="saturation")).mark_rect().encode(
        x=alt.X("z0:Q", title="pre-activation z", scale=alt.Scale(nice=False, zero=False)), x2="z1:Q",
        y=alt.Y("activation:N", sort=list(shown), title=None, axis=alt.Axis(labelLimit=90, labelOverlap=False)),
        color=color, tooltip=["activation:N", alt.Tooltip("z0:Q", format=".3f", title="from z"),
                              alt.Tooltip("z1:Q", format=".3f", title="to z")],
    ).properties(width=340, height=20 * len(shown), title="Saturated: |f′(z)| < threshold")
    f = (lines.encode(y=alt.Y("f:Q", title="f(z)")) + rule + dots.encode(y="f:Q")).properties(
        title="The function f(z)", width=340, height=260)
    df = (lines.encode(y=alt.Y("df:Q", title="f′(z), by autograd")) + band + rule
          + dots.encode(y="df:Q")).properties(title="Its derivative f′(z) (dotted: ±threshold)", width=340,
                                              height=260)
    left = alt.vconcat(f, strip).resolve_scale(x="shared")
    right = alt.vconcat(df, strip).resolve_scale(x="shared")
    return _compile(alt.hconcat(left, right).properties(title="Activations and their slopes"))


def activation_shapes(curves: pd.DataFrame, regions: pd.DataFrame, readout: pd.DataFrame, *,
                      threshold: float, order: list[str], shown: list[str]) -> Spec:
    """f(z) and f'(z) side by side with the readout z marked; under each, a strip per activation
    shaded where |f'| < threshold. `order` fixes each activation's colour (the registry's
    order), `shown` is the legend."""
    band = pd.DataFrame({"df": [threshold, -threshold]})
    return _with_data(_shapes_template(tuple(order), tuple(shown)), curves=curves, saturation=regions,
                      readout=readout, threshold=band)


@functools.lru_cache(maxsize=64)
def _depth_template(order: tuple[str, ...], shown: tuple[str, ...], max_depth: int) -> Spec:
    x = alt.X("depth:Q", title="layers L", scale=alt.Scale(domain=[1, max_depth]))
    y = alt.Y("product:Q", title="mean |f′(z₁)···f′(z_L)| (log scale)", scale=alt.Scale(type="log"),
              axis=alt.Axis(format=".0e"))
    lines = alt.Chart(alt.Data(name="products")).mark_line(point=alt.OverlayMarkDef(size=10)).encode(
        x=x, y=y, color=_activation_color(order, shown),
        tooltip=["activation:N", "depth:Q", alt.Tooltip("product:Q", format=".3e", title="mean |∏ f′|")])
    bound = alt.Chart(alt.Data(name="bound")).mark_line(color="#555", strokeDash=[6, 4]).encode(
        x=x, y=y, tooltip=["depth:Q", alt.Tooltip("product:Q", format=".3e", title="0.25^L")])
    at = round(0.6 * max_depth)  # mid-line, above the dashed bound and clear of sigmoid's line below it
    label = alt.Chart(alt.Data(name="bound")).transform_filter(alt.datum.depth == at).mark_text(
        align="left", dx=6, dy=-8, color="#555").encode(x=x, y=y, text=alt.value("0.25^L (sigmoid's best case)"))
    return _compile((lines + bound + label).properties(
        title="Gradient factor from the activations alone, through L layers", height=360))


def depth_products(df: pd.DataFrame, bound: pd.DataFrame, *, order: list[str], shown: list[str],
                   max_depth: int) -> Spec:
    """One line per activation over L on a log axis, and 0.25^L dashed. Exact zeros (every
    sampled path met a zero slope, or the product underflowed) are left out: no log of 0."""
    data = df[df["product"] > 0]
    return _with_data(_depth_template(tuple(order), tuple(shown), int(max_depth)), products=data, bound=bound)


@functools.lru_cache(maxsize=16)
def _gated_template(gate_label: str) -> Spec:
    chart = alt.Chart(alt.Data(name="surface")).mark_rect().encode(
        x=alt.X("a0:Q", title="a = x·W, the gate's input", scale=alt.Scale(nice=False)), x2="a1:Q",
        y=alt.Y("b0:Q", title="b = x·V, the value", scale=alt.Scale(nice=False)), y2="b1:Q",
        color=alt.Color("out:Q", title="gate(a)·b", scale=alt.Scale(scheme="redblue", domainMid=0)),
        tooltip=[alt.Tooltip("a:Q", format=".2f"), alt.Tooltip("b:Q", format=".2f"),
                 alt.Tooltip("out:Q", format=".3f", title="gate(a)·b")],
    ).properties(title=f"{gate_label}: out(a, b) = gate(a) · b", width=360, height=300)
    return _compile(chart)


def gated_surface(df: pd.DataFrame, *, gate_label: str) -> Spec:
    """Heatmap of one gated unit's output over (a, b), diverging colours centred on 0."""
    return _with_data(_gated_template(gate_label), surface=df)


@functools.lru_cache(maxsize=64)
def _dead_layer_template(order: tuple[str, ...], shown: tuple[str, ...]) -> Spec:
    sel = _run_selection("highlight_dead_layer")
    chart = alt.Chart(alt.Data(name="dead")).mark_line(point=True).encode(
        x=alt.X("layer:Q", title="hidden layer (1 = input side)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("dead_grad:Q", title="dead units",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=_run_color(order, shown).title("activation"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", "layer:Q", alt.Tooltip("epoch:Q", format=".2f"),
                 alt.Tooltip("dead_grad:Q", format=".1%", title="dead (no gradient)"),
                 alt.Tooltip("dead:Q", format=".1%", title="never positive")],
    ).add_params(sel).properties(title="Dead units per layer, latest report", height=320)
    return _compile(chart)


def dead_by_layer(df: pd.DataFrame, *, order: list[str], shown: list[str]) -> Spec:
    """Share of dead units against hidden layer at each run's latest report."""
    return _with_data(_dead_layer_template(tuple(order), tuple(shown)), dead=df)


@functools.lru_cache(maxsize=64)
def _dead_epochs_template(epochs: int, order: tuple[str, ...], shown: tuple[str, ...]) -> Spec:
    sel = _run_selection("highlight_dead_epochs")
    chart = alt.Chart(alt.Data(name="dead_epochs")).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch (0 = at initialization)", scale=alt.Scale(domain=[0, epochs])),
        y=alt.Y("dead_grad:Q", title="dead units (mean over layers)", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        color=_run_color(order, shown).title("activation"),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=["run:N", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("dead_grad:Q", format=".1%",
                                                                             title="dead (no gradient)")],
    ).add_params(sel).properties(title="Dead units over training", height=320)
    return _compile(chart)


def dead_over_epochs(df: pd.DataFrame, *, epochs: int, order: list[str], shown: list[str]) -> Spec:
    """Mean share of dead hidden units at each epoch end, one line per activation."""
    return _with_data(_dead_epochs_template(int(epochs), tuple(order), tuple(shown)), dead_epochs=df)
