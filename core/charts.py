"""Chart builders: DataFrames in, a Vega-Lite spec out (for `st.vega_lite_chart(spec=...)`).

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
TINY = 1e-30  # floor for the heatmap's log scale: a gradient of exactly 0 gets the darkest colour
WIDTH = 320
MAX_LOSS_SHOWN = 100.0  # nats; chance on 10 classes is 2.3


_compile_lock = threading.Lock()  # Altair's theme switch is process-global


def _compile(chart: alt.TopLevelMixin) -> Spec:
    """Altair -> Vega-Lite dict, without Altair's default theme (Streamlit's own theme applies)."""
    with _compile_lock, alt.theme.enable("none"):
        return chart.to_dict()


def _with_data(template: Spec, **frames: pd.DataFrame) -> Spec:
    spec = dict(template)  # shallow: only "datasets" differs between redraws
    spec["datasets"] = frames
    return spec


def _run_selection(name: str) -> alt.Parameter:
    # Clicking a legend entry highlights that run.
    return alt.selection_point(name=name, fields=["run"], bind="legend")


PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac", "#17becf", "#bcbd22"]  # Tableau 10, then two so 12 activations differ


def _run_color(runs: tuple[str, ...], shown: tuple[str, ...] | None = None) -> alt.Color:
    # Run i always gets PALETTE[i], in every chart and as runs start; `shown` limits the legend.
    shown = runs if shown is None else shown
    colours = [PALETTE[runs.index(r) % len(PALETTE)] for r in shown]
    return alt.Color("run:N", title="configuration", scale=alt.Scale(domain=list(shown), range=colours),
                     legend=alt.Legend(labelLimit=300))


@functools.lru_cache(maxsize=64)
def _curves_template(epochs: int, runs: tuple[str, ...], shown: tuple[str, ...] | None = None) -> Spec:
    sel = _run_selection("highlight_curves")
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs]))
    tooltip = ["run:N", "split:N", alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("value:Q", format=".4g")]
    base = alt.Chart(alt.Data(name="curves")).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x, color=_run_color(runs, shown),
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
    return _compile(alt.hconcat(loss, acc))


def learning_curves(df: pd.DataFrame, *, epochs: int, runs: list[str], status: pd.DataFrame | None = None,
                    shown: list[str] | None = None) -> Spec:
    """Loss (log axis) and accuracy against epoch; solid = validation, dashed = train.
    A dotted red rule marks the epoch where a run diverged. `shown` limits the legend to those
    runs, each keeping the colour of its place in `runs`."""
    diverged = (status.dropna(subset=["diverged_epoch"]) if status is not None
                else pd.DataFrame(columns=["run", "message", "diverged_epoch"]))
    template = _curves_template(int(epochs), tuple(runs), tuple(shown) if shown is not None else None)
    return _with_data(template, curves=df, diverged=diverged)


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


# --- Initialization variance --------------------------------------------------------------

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


# --- Activations ---------------------------------------------------------------------------

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


# --- Optimizer race ------------------------------------------------------------------------

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


# --- Learning-rate schedules ---------------------------------------------------------------

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


# --- Dropout and uncertainty ---------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _gap_template(epochs: int, runs: tuple[str, ...]) -> Spec:
    sel = _run_selection("highlight_gaps")
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(domain=[0, epochs]))
    tooltip = ["run:N", alt.Tooltip("epoch:Q", format=".0f"), alt.Tooltip("value:Q", format=".3f", title="gap")]
    base = alt.Chart(alt.Data(name="gaps")).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x, color=_run_color(runs).title("dropout"), opacity=alt.condition(sel, alt.value(1.0), alt.value(0.15)),
        tooltip=tooltip)
    zero = alt.Chart(alt.Data(name="zero")).mark_rule(color="#888", strokeDash=[2, 2]).encode(y="value:Q")
    loss = (base.transform_filter(alt.datum.metric == "loss").encode(
        y=alt.Y("value:Q", title="validation − train loss (nats)")).add_params(sel) + zero).properties(
        title="Loss gap", width=WIDTH, height=220)
    acc = (base.transform_filter(alt.datum.metric == "accuracy").encode(
        y=alt.Y("value:Q", title="train − validation accuracy", axis=alt.Axis(format="%"))) + zero).properties(
        title="Accuracy gap", width=WIDTH, height=220)
    return _compile(alt.hconcat(loss, acc).properties(
        title="Generalization gap (train split measured with dropout off)"))


def dropout_gaps(df: pd.DataFrame, *, epochs: int, runs: list[str]) -> Spec:
    """Validation − train loss and train − validation accuracy per dropout rate over epochs."""
    return _with_data(_gap_template(int(epochs), tuple(runs)), gaps=df, zero=pd.DataFrame({"value": [0.0]}))


@functools.lru_cache(maxsize=16)
def _class_probs_template(classes: tuple[str, ...], estimates: tuple[str, str]) -> Spec:
    color = alt.Color("estimate:N", title=None, scale=alt.Scale(domain=list(estimates), range=PALETTE[:2]),
                      legend=alt.Legend(orient="bottom", labelLimit=300))
    x = alt.X("class:N", title="class", sort=list(classes), axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    tip = ["class:N", "estimate:N", alt.Tooltip("value:Q", format=".1%", title="probability"),
           alt.Tooltip("std:Q", format=".1%", title="std over passes")]
    probs = alt.Chart(alt.Data(name="probs"))
    mc = probs.transform_filter(alt.datum.estimate == estimates[0])
    bars = mc.mark_bar(opacity=0.75).encode(x=x, y=y, color=color, tooltip=tip)
    errors = mc.mark_errorbar(ticks=alt.MarkConfig(size=10), color="#222").encode(
        x=x, y=alt.Y("lo:Q", title="probability"), y2="hi:Q")
    det = probs.transform_filter(alt.datum.estimate == estimates[1]).mark_point(
        shape="diamond", filled=True, size=80, opacity=1).encode(x=x, y=y, color=color, tooltip=tip[:3])
    # "pad": the height is the plot's own; Streamlit's default "fit" would take the title, axis and
    # legend out of these few pixels
    return _compile((bars + errors + det).properties(title="Class probabilities", width=WIDTH, height=170,
                                                     autosize=alt.AutoSizeParams(type="pad")))


def class_probabilities(df: pd.DataFrame, *, classes: list[str], estimates: tuple[str, str]) -> Spec:
    """One image: the MC-mean probability per class as bars with ± one std (rows of estimates[0]),
    the deterministic probability as a diamond (rows of estimates[1])."""
    return _with_data(_class_probs_template(tuple(classes), tuple(estimates)), probs=df)


@functools.lru_cache(maxsize=16)
def _ood_template(sources: tuple[str, ...], measures: tuple[str, ...]) -> Spec:
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(sources))]
    color = alt.Color("source:N", title="input", scale=alt.Scale(domain=list(sources), range=colours),
                      legend=alt.Legend(labelLimit=300))
    box = alt.Chart(alt.Data(name="ood"))
    ceiling = alt.Chart(alt.Data(name="ceiling")).mark_rule(color="#888", strokeDash=[4, 3]).encode(
        y="value:Q", tooltip=[alt.Tooltip("value:Q", format=".3f", title="ln C, the largest entropy")])

    def panel(measure: str) -> alt.LayerChart:
        plot = box.transform_filter(alt.datum.measure == measure).mark_boxplot(extent="min-max", size=26).encode(
            x=alt.X("source:N", title=None, sort=list(sources), axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("value:Q", title="nats"), color=color)
        return (plot + ceiling).properties(title=measure, width=190, height=240)

    return _compile(alt.hconcat(*(panel(m) for m in measures)).properties(
        title="Uncertainty per input (dashed: ln C, the entropy of a uniform guess)"))


def ood_uncertainty(df: pd.DataFrame, *, sources: list[str], measures: list[str], max_entropy: float) -> Spec:
    """One panel per measure (entropies, mutual information; nats) with a box plot (min–max
    whiskers) per kind of input; `max_entropy` (ln C) drawn dashed."""
    template = _ood_template(tuple(sources), tuple(measures))
    return _with_data(template, ood=df, ceiling=pd.DataFrame({"value": [max_entropy]}))


@functools.lru_cache(maxsize=4)
def _reliability_template(estimates: tuple[str, ...], titles: tuple[str, ...]) -> Spec:
    # The solid bar's top is the bin's accuracy: blue up to the mean confidence, orange above it
    # (under-confident); red from the accuracy up to the confidence where that is higher (over-confident).
    parts = ("accuracy up to the mean confidence", "accuracy above it (under-confident)",
             "confidence above accuracy (over-confident)")
    color = alt.Color("part:N", title=None, scale=alt.Scale(domain=list(parts), range=PALETTE[:3]),
                      legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
    x = alt.X("lo:Q", title="confidence (top probability)", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    y = alt.Y("y0:Q", title="accuracy in bin", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    tip = [alt.Tooltip("lo:Q", format=".0%", title="from"), alt.Tooltip("hi:Q", format=".0%", title="to"),
           "count:Q", alt.Tooltip("confidence:Q", format=".1%", title="mean confidence"),
           alt.Tooltip("accuracy:Q", format=".1%")]

    def panel(estimate: str, title: str) -> alt.VConcatChart:
        rows = alt.Chart(alt.Data(name="bins")).transform_filter(
            (alt.datum.estimate == estimate) & (alt.datum.count > 0))
        lower = "min(datum.accuracy, datum.confidence)"
        pieces = [rows.transform_calculate(part=f"'{parts[0]}'", y0="0", y1=lower),
                  rows.transform_filter(alt.datum.accuracy > alt.datum.confidence).transform_calculate(
                      part=f"'{parts[1]}'", y0="datum.confidence", y1="datum.accuracy"),
                  rows.transform_filter(alt.datum.confidence > alt.datum.accuracy).transform_calculate(
                      part=f"'{parts[2]}'", y0="datum.accuracy", y1="datum.confidence")]
        bars = [piece.mark_bar(stroke="white", strokeWidth=0.5, opacity=0.5 if i == 2 else 1).encode(
            x=x, x2="hi:Q", y=y, y2="y1:Q", color=color, tooltip=tip) for i, piece in enumerate(pieces)]
        diagonal = alt.Chart(alt.Data(name="diagonal")).mark_line(color="#555", strokeDash=[5, 4]).encode(
            x="x:Q", y="y:Q")
        text = alt.Chart(alt.Data(name="ece")).transform_filter(alt.datum.estimate == estimate).mark_text(
            align="left", baseline="top", fontSize=13, dx=4, dy=4).encode(
            x=alt.value(0), y=alt.value(0), text="text:N")
        share = rows.mark_bar(color="#999").encode(
            x=x, x2="hi:Q", y=alt.Y("share:Q", title="share", axis=alt.Axis(format="%", tickCount=2)),
            y2=alt.datum(0), tooltip=tip)
        main = alt.layer(*bars, diagonal, text).properties(title=title, width=WIDTH - 20, height=250)
        return alt.vconcat(main, share.properties(width=WIDTH - 20, height=50))

    return _compile(alt.hconcat(*(panel(e, t) for e, t in zip(estimates, titles))).properties(
        title="Reliability diagrams (dashed: perfect calibration)"))


def reliability_diagrams(bins: pd.DataFrame, ece: pd.DataFrame, *, estimates: list[str], titles: list[str]) -> Spec:
    """Side by side per estimate: accuracy against confidence per bin, split where it passes the
    bin's mean confidence, the diagonal of perfect calibration, the ECE, and the share of images per bin."""
    diagonal = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    return _with_data(_reliability_template(tuple(estimates), tuple(titles)), bins=bins, ece=ece, diagonal=diagonal)
