"""Vanishing gradients: deep nets side by side, gradient norm per layer watched live."""

import streamlit as st

from core import activations, charts, frames, init, optim
from core.experiments import base, vanishing
from core.models import NORMS
from ui import live, query, sidebar

LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
WIDTHS = [8, 16, 32, 64, 100, 128, 256, 512, 1024]
DEFAULTS = vanishing.Config()

st.title("Vanishing and exploding gradients")
st.write(
    "Backpropagation multiplies one factor per layer: the weights and the activation's slope. "
    "When those factors are below 1 the gradient shrinks geometrically on its way to the input "
    "(vanishing); above 1 it grows (exploding). Pick configurations, press **Run**, and watch the "
    "gradient reaching each layer while the nets train on the same data from the same seed."
)
shared = sidebar.shared_controls()
st.session_state.setdefault("vg_custom", [])
for key, value in {"vg_depth": DEFAULTS.depth, "vg_width": DEFAULTS.width, "vg_opt": DEFAULTS.optimizer,
                   "vg_lr": DEFAULTS.lr, "vg_epochs": DEFAULTS.epochs, "vg_runs": list(DEFAULTS.runs)}.items():
    st.session_state.setdefault(key, value)  # widgets below take their value from here
query.prefill(vanishing.Config, {"depth": "vg_depth", "width": "vg_width", "optimizer": "vg_opt",
                                 "lr": "vg_lr", "epochs": "vg_epochs", "runs": "vg_runs"})


def run_label(text: str) -> str:
    return vanishing.parse_run(text).label


def add_custom() -> None:
    spec = vanishing.RunSpec(
        "", st.session_state.vg_act, st.session_state.vg_init, norm=st.session_state.vg_norm,
        clip=float(st.session_state.vg_clip),
    ).text()
    if spec not in st.session_state.vg_custom:
        st.session_state.vg_custom.append(spec)
    st.session_state.vg_runs = list(dict.fromkeys(list(st.session_state.vg_runs) + [spec]))


with st.container(border=True):
    c1, c2, c3, c4, c5 = st.columns(5)
    depth = c1.slider("Depth (hidden layers)", *base.limits(vanishing.Config, "depth"), key="vg_depth")
    width_options = sorted(set(WIDTHS) | {st.session_state.vg_width})
    width = c2.select_slider("Width (units per layer)", width_options, key="vg_width")
    opt_name = c3.selectbox("Optimizer", optim.names(), key="vg_opt", format_func=lambda n: optim.get(n).label)
    lr_options = sorted(set(LRS) | {st.session_state.vg_lr})
    lr = c4.select_slider("Learning rate", lr_options, key="vg_lr", format_func=lambda v: f"{v:g}")
    epochs = c5.slider("Epochs", *base.limits(vanishing.Config, "epochs"), key="vg_epochs")
    options = list(vanishing.PRESETS) + [s for s in st.session_state.vg_custom if s not in vanishing.PRESETS]
    for text in st.session_state.vg_runs:
        if text not in options:  # e.g. a custom spec from the URL
            options.append(text)
    runs = st.multiselect("Configurations (side by side)", options, key="vg_runs",
                          format_func=run_label, max_selections=vanishing.MAX_RUNS,
                          help="Presets measured on digits at depth 20, width 100; add your own below.")
    with st.expander("Add a configuration"):
        a1, a2, a3, a4, a5 = st.columns([2, 2, 2, 1, 1])
        a1.selectbox("Activation", activations.names(), key="vg_act", format_func=lambda n: activations.get(n).label)
        a2.selectbox("Initializer", init.names(), key="vg_init", format_func=lambda n: init.get(n).label)
        a3.selectbox("Normalization", NORMS, key="vg_norm")
        a4.number_input("Clip norm (0 = off)", 0.0, 100.0, 0.0, 0.5, key="vg_clip")
        a5.button("Add", on_click=add_custom, key="vg_add")

config, problem = None, None
try:
    config = vanishing.Config(runs=tuple(runs), dataset=shared.dataset, depth=depth, width=width,
                              optimizer=opt_name, lr=float(lr), epochs=epochs, seed=shared.seed,
                              device=shared.device)
except ValueError as exc:
    problem = str(exc)
if not runs:
    problem = "Pick at least one configuration."
if problem:
    st.warning(problem)


panel = live.LivePanel("vanishing")
panel.controls(panel.starter(vanishing.run, config) if config and runs else None, disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(DEFAULTS)
    if not frames.by_run(records):
        st.caption("Press **Run** to train the configurations; charts appear after the first report.")
        return
    st.subheader("Verdicts")
    live.reports_caption(frames.by_run(records), help="one report per epoch per configuration, more on large sets")
    for run, recs in frames.by_run(records).items():
        st.markdown(f"{live.status_icon(recs)} **{run}**: {vanishing.verdict(recs)}")
    labels = [vanishing.parse_run(text).label for text in cfg.runs]
    status = frames.status(records)
    st.vega_lite_chart(spec=charts.learning_curves(frames.curves(records), epochs=cfg.epochs, runs=labels,
                                                   status=status))
    latest = frames.latest_layers(records)
    st.vega_lite_chart(spec=charts.grad_profile(latest, runs=labels))
    st.vega_lite_chart(spec=charts.grad_heatmap(frames.layers(records), runs=labels))
    if latest["saturated"].notna().any():
        st.vega_lite_chart(spec=charts.saturation(latest, runs=labels))
    else:
        st.caption("Saturation is shown for bounded activations (sigmoid, tanh); none is selected.")


panel.show(draw)
