"""The Dropout lab's charts: generalization gap, class probabilities, out-of-distribution
uncertainty, reliability diagrams."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, WIDTH, Spec, compile_spec as _compile, run_color as _run_color, \
    run_selection as _run_selection, with_data as _with_data


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
