"""Initialization variance: the spread of signals through depth at initialization, then a short
training that shows the variance picture predicts which nets learn."""
import functools

import streamlit as st

from core import frames
from core.charts import learning_curves
from core.config import key as config_key
from core.labs.vanishing import tables as vanishing_tables
from core.labs.vanishing.config import MAX_RUNS
from core.labs.variance import charts, tables
from core.labs.variance.config import TrainIt
from core.labs.variance.run import training
from ui import live
from ui.charts import chart, collect, exports
from ui.form import open_lab

form = open_lab("variance", "Initialization variance", (
    "Each layer multiplies the spread of its input by roughly *fan-in × Var(W) × (a factor from the "
    "activation)*. If that product is not close to 1, the spread of activations on the way forward, "
    "and of gradients on the way back, shrinks or grows geometrically with depth. Here a real batch "
    "goes through freshly initialized nets, and the measured gain of every layer is drawn beside the "
    "mean-field prediction: forward, *fan-in · Var(W) · E[f(z)²] / E[z²]*; backward, "
    "*fan-out · Var(W) · E[f′(z)²]*, with *z* drawn from N(0, the measured E[z²]). "
    "Biases are off, as in Glorot's and He's analyses, unless you switch them on."
))
LAB = form.lab


def settings() -> tuple[object, str | None]:
    """The pairs and the nets they are measured in; (config, None) or (None, what is wrong)."""
    form.presets()
    with form.box():
        c1, c2 = st.columns(2)
        form.widget("activations", c1)
        form.widget("inits", c2)
        for col, name in zip(st.columns(5), ("depth", "width", "seeds", "probe_size", "bias")):
            form.widget(name, col)
        form.widget("hist_layers")
    config, problem = form.check()
    return config, problem


def measurement(config) -> list[dict] | None:
    """The records of the measurement at initialization, a quick job; None while it runs."""
    measuring = live.LivePanel("variance", verb="Measuring")
    job = measuring.ensure(functools.partial(LAB.run, config), key=f"variance:{config_key(config)}", lane=LAB.lane)
    if job is None:
        return None
    if not job.is_terminal:
        measuring.show(lambda records, j: st.caption(f"{len(records)} of {len(config.pairs())} pairs measured"))
        return None
    if job.status != "done":
        st.error(job.error or "The measurement did not finish.")
        return None
    return job.snapshot()


def what_it_measured(records: list[dict]) -> None:
    combos = [r["combo"] for r in records]
    layers = tables.layer_frame(records)
    st.subheader("What the numbers say")
    for rec in records:
        st.markdown(f"**{rec['combo']}**: {tables.summary(rec)}")
    with collect() as drawn:
        measured_charts(layers, records, combos)
    st.caption("Lines stop where the values overflow to inf/NaN or are exactly zero (no place on a log axis).")
    exports("variance-measurement", lambda: LAB.table(records), drawn, key="variance_measure",
            no_script="It measures freshly initialized nets, before any training.",
            help="one row per pair and layer: the measured statistics and gains beside the theory")


def measured_charts(layers, records: list[dict], combos: list[str]) -> None:
    left, right = st.columns(2)
    with left:
        chart(charts.spread_by_layer(
            layers, field="act_std", combos=combos, title="Forward: spread of activations",
            y_title="std of activations f(z) (log scale)"))
        chart(charts.gain_by_layer(layers, direction="forward", combos=combos))
    with right:
        chart(charts.spread_by_layer(
            layers, field="grad_std", combos=combos, title="Backward: spread of gradients",
            y_title="std of ∂loss/∂z (log scale)"))
        chart(charts.gain_by_layer(layers, direction="backward", combos=combos))
    chart(charts.activation_histograms(tables.hist_frame(records), combos=combos))


panel = live.LivePanel("variance_train")


def draw(recs: list[dict], job) -> None:
    cfg = training(panel.job_config(TrainIt()))
    by = frames.by_run(recs)
    for run, rs in by.items():
        st.markdown(f"**{run}**: {vanishing_tables.verdict(rs)}")
    chart(learning_curves(frames.curves(recs), epochs=cfg.epochs, runs=cfg.labels(),
                                            status=frames.status(recs)))


def train_it(config) -> None:
    """A short training of the same pairs, live."""
    st.subheader("Train it")
    st.write("Does the variance picture predict which nets learn? Train the same configurations briefly, "
             "on the same data and batches, and compare.")
    t1, _ = st.columns([1, 3])
    form.widget("train_epochs", t1)
    train_config, train_problem = form.build(TrainIt)
    if len(config.pairs()) > MAX_RUNS:
        st.caption(f"The first {MAX_RUNS} pairs are trained.")
    panel.controls(panel.starter(LAB.parts["train"].run, train_config) if train_config else None, label="Train",
                   disabled_reason=train_problem)
    panel.show(draw, empty="Press **Train** for a short training of every pair above.",
               reports="", export=("variance-training", frames.flat))


config, problem = settings()
if config is not None:
    records = measurement(config)
    if records is not None:
        what_it_measured(records)
    train_it(config)
form.sync()
