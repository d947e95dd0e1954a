"""Deep nets: normalization and regularization switched on one at a time or together; each
configuration a run kept in the session's run table, ticked runs overlaid."""
import math

import pandas as pd
import streamlit as st

from core import activations, data, frames, init
from core.charts import learning_curves
from core.labs.deepnet import boundary, charts, tables
from core.labs.deepnet.config import CHAPTER, MAX_RUNS, PRESETS, is_planar, parse_run
from core.labs.runspec import RunSpec
from core.models import DROPOUTS, NORMS
from ui import live
from ui.charts import chart
from ui.form import open_lab
from ui.runs import editor, session_runs

form = open_lab("deepnet", "Deep nets: normalization and regularization", (
    "The chapter's closing exercise: a 20-layer, 100-unit network, hard to train on purpose. Switch on batch "
    "norm, SELU, dropout, weight decay, L1 or L2 penalties, max-norm, clipping, early stopping or 1cycle, one "
    "at a time or together; each configuration becomes a run in the table below, and the ticked runs are "
    "drawn together. On a 2-D set (spirals, moons, circles, XOR, blobs) each run's decision boundary is drawn "
    "as it trains."
))
LAB = form.lab
CUSTOM = "deepnet.added"  # specs added with the builder, offered beside the presets
SCHEDULES = {"constant": "constant rate", "onecycle": "1cycle"}
KEEP = ("grid/{run}", "points")  # artifacts a run's table entry keeps after its job ends
PERCENT = st.column_config.NumberColumn(format="percent")
TABLE_COLUMNS = {c: PERCENT for c in ("best validation accuracy", "validation accuracy", "train accuracy",
                                      "near-zero weights")} | {
    "gap": st.column_config.NumberColumn("gap", format="percent", help="train accuracy − validation accuracy"),
    "validation loss": st.column_config.NumberColumn(format="%.3f"),
    "weight norm": st.column_config.NumberColumn("‖W‖", format="%.1f", help="the weights' norm, all layers"),
    "epoch": st.column_config.NumberColumn(format="%.1f"), "best epoch": st.column_config.NumberColumn(format="%g")}


def add_custom() -> None:
    s = st.session_state
    g = lambda name: s[f"deepnet.add.{name}"]  # noqa: E731
    kind = g("dropout")
    spec = RunSpec("", g("activation"), g("init"), norm=g("norm"), clip=float(g("clip")),
                   dropout=kind if g("p") > 0 else "none", dropout_p=float(g("p")) if kind != "none" else 0.0,
                   dropout_last=int(g("where")) if kind != "none" else 0, weight_decay=float(g("wd")),
                   l1=float(g("l1")), l2=float(g("l2")), max_norm=float(g("maxnorm")), schedule=g("schedule")).text()
    listed = form.value("runs")
    same = [text for text in listed if parse_run(text).text() == spec]  # a preset that is this configuration
    if same:
        st.toast(f"Already listed: {parse_run(same[0]).label}")
        return
    s.setdefault(CUSTOM, [])
    if spec not in s[CUSTOM]:
        s[CUSTOM].append(spec)
    form.set(runs=(*listed, spec)[:MAX_RUNS])


def builder() -> None:
    """Toggles for one configuration, added to the list with a press."""
    a = st.columns(4)
    a[0].selectbox("Activation", activations.names(), key="deepnet.add.activation", index=activations.names().index("swish"),
                   format_func=lambda n: activations.get(n).label)
    a[1].selectbox("Initializer", init.names(), key="deepnet.add.init", index=init.names().index("he_normal"),
                   format_func=lambda n: init.get(n).label, help="SELU wants LeCun normal")
    a[2].selectbox("Normalization", NORMS, key="deepnet.add.norm",
                   help="batchnorm_before: Linear (no bias) → BN → activation; batchnorm_after: Linear → "
                        "activation → BN")
    a[3].selectbox("Schedule", list(SCHEDULES), key="deepnet.add.schedule", format_func=SCHEDULES.get,
                   help="1cycle: the rate climbs to the learning rate above, then falls far below it")
    b = st.columns(4)
    b[0].selectbox("Dropout", DROPOUTS, key="deepnet.add.dropout", help="alpha dropout goes with SELU")
    b[1].number_input("Dropout rate p", 0.0, 0.9, 0.1, 0.05, key="deepnet.add.p")
    b[2].number_input("Dropout after the last … hidden layers (0 = all)", 0, 40, 0, 1, key="deepnet.add.where",
                      help="The chapter puts alpha dropout before the output layer only: 1")
    b[3].number_input("Clip gradient norm (0 = off)", 0.0, 100.0, 0.0, 0.5, key="deepnet.add.clip")
    c = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    c[0].number_input("L2 weight decay", 0.0, 1.0, 0.0, 1e-4, format="%g", key="deepnet.add.wd",
                      help="decoupled from the loss (the optimizer's weight_decay), weights only")
    c[1].number_input("L1 penalty", 0.0, 1.0, 0.0, 1e-4, format="%g", key="deepnet.add.l1",
                      help="l1·Σ|w| added to the loss, weights only")
    c[2].number_input("L2 penalty", 0.0, 1.0, 0.0, 1e-4, format="%g", key="deepnet.add.l2",
                      help="l2·Σw² added to the loss, weights only")
    c[3].number_input("Max-norm (0 = off)", 0.0, 100.0, 0.0, 0.5, key="deepnet.add.maxnorm",
                      help="after each step, each unit's incoming weights are scaled to at most this L2 norm")
    st.button("Add this configuration", on_click=add_custom, key="deepnet.add")


def settings() -> tuple[object, str | None]:
    form.presets()
    with form.box():
        cols = st.columns(7)
        for col, name in zip(cols, ("depth", "width", "optimizer", "lr", "epochs", "batch_size", "patience")):
            form.widget(name, col)
        if is_planar(form.value("dataset")):
            left, right, _ = st.columns([1, 1, 2])
            form.widget("size", left)
            form.widget("noise", right)
        form.widget("runs", options=[*PRESETS, *st.session_state.get(CUSTOM, [])],
                    help="The chapter's steps first, then the vanishing lab's configurations; add your own below.")
        with st.expander("Add a configuration: switch things on"):
            builder()
        st.caption("Weight decay, the L1 and L2 penalties and max-norm act on the Linear layers' weights only: "
                   "biases and the normalization layers' scale and shift sit in a parameter group without decay and "
                   "are left out of the penalties. Inputs are always standardized (the train split's mean and standard "
                   "deviation), as SELU's self-normalization needs.")
    config, problem = form.check(empty="runs", message="Pick at least one configuration.")
    form.sync()
    return config, problem


config, problem = settings()
if form.value("dataset") != "cifar10" and not is_planar(form.value("dataset")):
    cached = data.is_cached("cifar10")
    st.caption("The chapter runs this on CIFAR-10. " + (
        "It is cached here: pick it in the sidebar." if cached else
        f"CIFAR-10 is not cached here, so {data.spec(form.value('dataset')).label} stands in; the figures "
        "measured on digits (README) differ from the chapter's, and the page says where."))

with st.expander("The chapter's sequence: what the book saw on CIFAR-10, and what digits shows"):
    st.markdown(
        "The book's solution (ELU in place of Swish, NAdam, early stopping) reports on CIFAR-10: **47%** for the "
        "plain net; **55%** with batch norm, reached in 18 epochs instead of 39; **51.4%** for SELU + LeCun, in 13 "
        "epochs; **50.8%** with alpha dropout; **52.8%** with 1cycle in 15 epochs.\n\n"
        "**Digits does not tell the same story.** Measured here (\"The chapter's sequence\" on digits, 20 epochs, "
        "seeds 0–4, validation accuracy after the last epoch): plain 95.5% ± 1.9, + batch norm 95.2% ± 2.3, SELU "
        "87.0% ± 6.3, + alpha dropout 84.5% ± 7.4, + 1cycle 96.2% ± 1.5. A 20-layer Swish net already trains well "
        "on digits, so batch norm adds nothing measurable. SELU reaches its best validation loss soonest, but at a "
        "constant rate its accuracy swings by ten points from epoch to epoch; alpha dropout does not calm it, and "
        "1cycle, whose rate ends far below the peak, does. Each step's best epoch is within 2 points of the others' "
        "(94.7–96.5%): on digits the steps differ in how steadily they train more than in what they can reach.")

panel = live.LivePanel("deepnet")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Run", disabled_reason=problem)


def draw_boundaries(entries) -> None:
    grids, dots, classes = [], [], {}
    for e in entries:
        grid = e.job.artifact(f"grid/{e.run}") or e.kept.get(f"grid/{e.run}")
        pts = e.job.artifact("points") or e.kept.get("points")
        if grid is None or pts is None:
            continue
        classes.setdefault(grid["classes"], []).append(e.label)
        grids.append(boundary.frame(grid).assign(run=e.label))
        dots.append(boundary.frame(pts).assign(run=e.label))
    for n, labels in classes.items():
        chart(charts.boundaries(pd.concat(grids, ignore_index=True),
                                                  pd.concat(dots, ignore_index=True), runs=labels, classes=n))


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    runs = session_runs()
    if job is not None:
        for notice in runs.track(job, panel=panel.name, keep=KEEP):  # live too: the table fills as it trains
            st.toast(notice)
    entries = runs.of("deepnet")
    if not entries:
        st.caption("Press **Run** to train the configurations; each becomes a run in the table.")
        return
    st.subheader("Runs of this session")
    summary = runs.gather(entries, tables.summary)
    editor("deepnet", entries, summary, columns=TABLE_COLUMNS)
    shown = runs.of("deepnet", shown_only=True)
    if not shown:
        st.caption("Tick runs in the table to draw them.")
        return
    for e in shown:
        last = e.records()[-1:] or [{}]
        if last[0].get("status") in ("diverged", "early_stopped"):
            st.markdown(f"{live.status_icon(last)} **{e.label}**: {last[0].get('message', '')}")
    labels = [e.label for e in shown]
    epochs = max([cfg.epochs] + [math.ceil(e.records()[-1]["epoch"]) for e in shown if e.records()])
    draw_boundaries(shown)
    chart(learning_curves(runs.gather(shown, tables.curves), epochs=epochs, runs=labels,
                                            status=runs.gather(shown, frames.status)))
    st.caption("Train figures are measured in eval mode (dropout off, batch norm on its running statistics), "
               "as validation is.")
    chart(charts.layers(runs.gather(shown, frames.latest_layers), runs=labels))
    chart(charts.weight_history(runs.gather(shown, tables.weight_history), epochs=epochs,
                                                  runs=labels))


panel.show(draw, reports="one report per epoch per configuration, more on large sets",
           export=(LAB.name, LAB.table))
st.caption(f"The chapter's steps, as presets of the list above: {', '.join(s.label for s in CHAPTER.values())}.")
