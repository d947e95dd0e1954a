"""Vanishing gradients: deep nets side by side, gradient norm per layer watched live."""
import streamlit as st

from core import activations, frames, init
from core.charts import learning_curves
from core.labs.vanishing import charts, tables
from core.labs.vanishing.config import MAX_RUNS, PRESETS, RunSpec
from core.models import NORMS
from ui import live
from ui.charts import chart
from ui.form import open_lab

form = open_lab("vanishing", "Vanishing and exploding gradients", (
    "Backpropagation multiplies one factor per layer: the weights and the activation's slope. "
    "When those factors are below 1 the gradient shrinks geometrically on its way to the input "
    "(vanishing); above 1 it grows (exploding). Pick configurations, press **Run**, and watch the "
    "gradient reaching each layer while the nets train on the same data from the same seed."
))
LAB = form.lab
CUSTOM = "vanishing.added"  # specs added with the builder below, offered beside the presets


def add_custom() -> None:
    s = st.session_state
    spec = RunSpec("", s["vanishing.add.activation"], s["vanishing.add.init"], norm=s["vanishing.add.norm"],
                   clip=float(s["vanishing.add.clip"])).text()
    s.setdefault(CUSTOM, [])
    if spec not in s[CUSTOM]:
        s[CUSTOM].append(spec)
    form.set(runs=tuple(dict.fromkeys([*form.value("runs"), spec]))[:MAX_RUNS])


def settings() -> tuple[object, str | None]:
    """The configurations and the training they share; (config, None) or (None, what is wrong)."""
    form.presets()
    with form.box():
        cols = st.columns(6)
        for col, name in zip(cols, ("depth", "width", "optimizer", "lr", "epochs", "batch_size")):
            form.widget(name, col)
        form.widget("runs", options=[*PRESETS, *st.session_state.get(CUSTOM, [])],
                    help="Presets measured on digits at depth 20, width 100; add your own below.")
        with st.expander("Add a configuration"):
            a = st.columns([2, 2, 2, 1, 1], vertical_alignment="bottom")
            a[0].selectbox("Activation", activations.names(), key="vanishing.add.activation",
                           format_func=lambda n: activations.get(n).label)
            a[1].selectbox("Initializer", init.names(), key="vanishing.add.init",
                           format_func=lambda n: init.get(n).label)
            a[2].selectbox("Normalization", NORMS, key="vanishing.add.norm")
            a[3].number_input("Clip norm (0 = off)", 0.0, 100.0, 0.0, 0.5, key="vanishing.add.clip")
            a[4].button("Add", on_click=add_custom, key="vanishing.add")

    config, problem = form.check(empty="runs", message="Pick at least one configuration.")
    form.sync()
    return config, problem


config, problem = settings()

panel = live.LivePanel("vanishing")
panel.controls(panel.starter(LAB.run, config) if config else None, disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(LAB.config())
    by = frames.by_run(records)
    st.subheader("Verdicts")
    for run, recs in by.items():
        st.markdown(f"{live.status_icon(recs)} **{run}**: {tables.verdict(recs)}")
    labels = cfg.labels()
    chart(learning_curves(frames.curves(records), epochs=cfg.epochs, runs=labels,
                                            status=frames.status(records)))
    latest = frames.latest_layers(records)
    chart(charts.grad_profile(latest, runs=labels))
    chart(charts.grad_heatmap(frames.layers(records), runs=labels))
    if latest["saturated"].notna().any():
        chart(charts.saturation(latest, runs=labels))
    else:
        st.caption("Saturation is shown for bounded activations (sigmoid, tanh); none is selected.")


panel.show(draw, empty="Press **Run** to train the configurations; charts appear after the first report.",
           reports="one report per epoch per configuration, more on large sets",
           export=(LAB.name, LAB.table))
