"""The Transfer-learning lab's charts: B's validation accuracy over epochs for both methods,
and the test accuracy of every seed with the mean and ± one std."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, WIDTH, Spec, compile_spec as _compile, with_data as _with_data
from core.labs.transfer.config import METHODS

COLOURS = PALETTE[:2]  # B from scratch, B on A
TEST_TITLE = "Test accuracy of model B, one point per seed (bar: mean ± 1 std)"
CURVES_TITLE = "Model B: validation accuracy over epochs (thin: one seed; thick: mean over seeds)"


def _method_color() -> alt.Color:
    return alt.Color("method:N", title="model B", scale=alt.Scale(domain=list(METHODS), range=COLOURS),
                     legend=alt.Legend(orient="bottom", labelLimit=300, symbolOpacity=1, symbolStrokeWidth=3))


@functools.lru_cache(maxsize=32)
def _curves_template(epochs: int) -> Spec:
    x = alt.X("epoch:Q", title="epoch of B's training", scale=alt.Scale(domain=[0, epochs]))
    y = alt.Y("val_acc:Q", title="validation accuracy (task B)", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))
    seeds = alt.Chart(alt.Data(name="seeds")).mark_line(strokeWidth=1, opacity=0.35).encode(
        x=x, y=y, color=_method_color(), detail="run:N",
        tooltip=["run:N", alt.Tooltip("epoch:Q", format=".0f"), alt.Tooltip("val_acc:Q", format=".1%"), "phase:N"])
    means = alt.Chart(alt.Data(name="means")).mark_line(strokeWidth=3).encode(
        x=x, y=y, color=_method_color(),
        tooltip=["method:N", alt.Tooltip("epoch:Q", format=".0f"),
                 alt.Tooltip("val_acc:Q", format=".1%", title="mean validation accuracy"), "seeds:Q"])
    thaw = alt.Chart(alt.Data(name="unfreeze"))
    rule = thaw.mark_rule(strokeDash=[4, 3], color="#555").encode(x="epoch:Q", tooltip=["text:N"])
    text = thaw.mark_text(align="left", dx=4, color="#555").encode(  # low in the plot, where the curves are not
        x="epoch:Q", y=alt.value(240), text="text:N")
    # "pad": the height is the plot's own; Streamlit's default "fit" takes the title, axes and legend out of it
    return _compile((seeds + means + rule + text).properties(title=CURVES_TITLE, width=2 * WIDTH, height=260,
                                                             autosize=alt.AutoSizeParams(type="pad")))


def b_curves(seeds: pd.DataFrame, means: pd.DataFrame, *, epochs: int, unfreeze_at: int | None) -> Spec:
    """Thin lines per seed and thick mean lines, coloured by method; a dashed rule where B on A's
    reused layers join the training (`unfreeze_at`, none when they never freeze or never thaw)."""
    thaw = pd.DataFrame({"epoch": [unfreeze_at], "text": [f"B on A: reused layers unfrozen after epoch {unfreeze_at}"]}
                        if unfreeze_at is not None else {"epoch": [], "text": []})
    return _with_data(_curves_template(int(epochs)), seeds=seeds, means=means, unfreeze=thaw)


@functools.lru_cache(maxsize=8)
def _test_template() -> Spec:
    x = alt.X("method:N", title=None, sort=list(METHODS), axis=alt.Axis(labelAngle=0, labelFontSize=12))
    y = alt.Y("test_acc:Q", title="test accuracy (task B)", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False))
    points = alt.Chart(alt.Data(name="tests")).mark_circle(size=70, opacity=0.8).encode(
        x=x, y=y, xOffset=alt.XOffset("seed:N"), color=_method_color(),
        tooltip=["run:N", alt.Tooltip("test_acc:Q", format=".1%", title="test accuracy"),
                 alt.Tooltip("test_loss:Q", format=".3f", title="test loss (nats)")])
    stats = alt.Chart(alt.Data(name="spread"))
    tip = ["method:N", alt.Tooltip("mean:Q", format=".1%"), alt.Tooltip("std:Q", format=".1%"),
           alt.Tooltip("min:Q", format=".1%"), alt.Tooltip("max:Q", format=".1%"), "seeds:Q"]
    bar = stats.mark_rule(strokeWidth=3, color="#222").encode(x=x, y=alt.Y("lo:Q", title="test accuracy (task B)"),
                                                               y2="hi:Q", tooltip=tip)
    mean = stats.mark_tick(thickness=3, size=60, color="#222").encode(x=x, y=alt.Y("mean:Q"), tooltip=tip)
    return _compile((points + bar + mean).properties(title=TEST_TITLE, width=WIDTH, height=300))


def test_accuracy(tests: pd.DataFrame, spread: pd.DataFrame) -> Spec:
    """Per method: each seed's test accuracy as a point (seeds side by side in the method's band),
    the mean as a black tick and ± one std as a black bar."""
    return _with_data(_test_template(), tests=tests, spread=spread)
