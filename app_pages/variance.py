"""Initialization variance: the spread of signals through depth at initialization, then a short
training that shows the variance picture predicts which nets learn."""

import streamlit as st

from core import activations, charts, frames, init
from core.experiments import base, vanishing, variance
from ui import live, query, sidebar

WIDTHS = [16, 32, 64, 100, 128, 256, 512, 1024]
DEFAULTS = variance.Config()

st.title("Initialization variance")
st.write(
    "Each layer multiplies the spread of its input by roughly *fan-in × Var(W) × (a factor from the "
    "activation)*. If that product is not close to 1, the spread of activations on the way forward, "
    "and of gradients on the way back, shrinks or grows geometrically with depth. Here a real batch "
    "goes through freshly initialized nets, and the measured gain of every layer is drawn beside the "
    "mean-field prediction: forward, *fan-in · Var(W) · E[f(z)²] / E[z²]*; backward, "
    "*fan-out · Var(W) · E[f′(z)²]*, with *z* drawn from N(0, the measured E[z²]). "
    "Biases are off, as in Glorot's and He's analyses, unless you switch them on."
)
shared = sidebar.shared_controls()
for key, value in {"var_acts": list(DEFAULTS.activations), "var_inits": list(DEFAULTS.inits),
                   "var_depth": DEFAULTS.depth, "var_width": DEFAULTS.width, "var_seeds": DEFAULTS.seeds,
                   "var_bias": DEFAULTS.bias, "var_hist": list(DEFAULTS.hist_layers)}.items():
    st.session_state.setdefault(key, value)
query.prefill(variance.Config, {"activations": "var_acts", "inits": "var_inits", "depth": "var_depth",
                                "width": "var_width", "seeds": "var_seeds", "hist_layers": "var_hist"})


def apply_preset() -> None:
    preset = variance.PRESETS[st.session_state.var_preset]
    st.session_state.var_acts = list(preset["activations"])
    st.session_state.var_inits = list(preset["inits"])
    st.session_state.var_depth = preset.get("depth", DEFAULTS.depth)


with st.container(border=True):
    p1, p2 = st.columns([4, 1], vertical_alignment="bottom")
    p1.selectbox("Preset", list(variance.PRESETS), key="var_preset")
    p2.button("Apply preset", on_click=apply_preset, key="var_apply")
    c1, c2 = st.columns(2)
    acts = c1.multiselect("Activations", activations.names(), key="var_acts", max_selections=6,
                          format_func=lambda n: activations.get(n).label)
    inits = c2.multiselect("Initializers", init.names(), key="var_inits", max_selections=6,
                           format_func=lambda n: init.get(n).label)
    d1, d2, d3, d4 = st.columns(4)
    depth = d1.slider("Depth (hidden layers)", *base.limits(variance.Config, "depth"), key="var_depth")
    width = d2.select_slider("Width", sorted(set(WIDTHS) | {st.session_state.var_width}), key="var_width")
    seeds = d3.slider("Initializations averaged", *base.limits(variance.Config, "seeds"), key="var_seeds")
    bias = d4.toggle("Biases on", key="var_bias")
    layer_options = [str(n) for n in range(1, 101)]
    hist_layers = st.multiselect("Histograms at layers", layer_options, key="var_hist", max_selections=8)

config, problem = None, None
try:
    config = variance.Config(activations=tuple(acts), inits=tuple(inits), dataset=shared.dataset, depth=depth,
                             width=width, seeds=seeds, bias=bias,
                             hist_layers=tuple(sorted(hist_layers, key=int)) or ("1",),
                             seed=shared.seed, device=shared.device)
except ValueError as exc:
    problem = str(exc)
if problem:
    st.warning(problem)
    st.stop()


@st.cache_data(show_spinner="Measuring at initialization...", max_entries=64)
def measure(cfg: variance.Config) -> list[dict]:
    return list(variance.run(cfg))


try:
    records = measure(config)
except Exception as exc:  # e.g. a dataset that cannot be downloaded
    st.error(str(exc))
    st.stop()
combos = [r["combo"] for r in records]
layers = variance.layer_frame(records)

st.subheader("What the numbers say")
for rec in records:
    st.markdown(f"**{rec['combo']}**: {variance.summary(rec)}")
left, right = st.columns(2)
with left:
    st.vega_lite_chart(spec=charts.spread_by_layer(
        layers, field="act_std", combos=combos, title="Forward: spread of activations",
        y_title="std of activations f(z) (log scale)"))
    st.vega_lite_chart(spec=charts.gain_by_layer(layers, direction="forward", combos=combos))
with right:
    st.vega_lite_chart(spec=charts.spread_by_layer(
        layers, field="grad_std", combos=combos, title="Backward: spread of gradients",
        y_title="std of ∂loss/∂z (log scale)"))
    st.vega_lite_chart(spec=charts.gain_by_layer(layers, direction="backward", combos=combos))
st.vega_lite_chart(spec=charts.activation_histograms(variance.hist_frame(records), combos=combos))
st.caption("Lines stop where the values overflow to inf/NaN or are exactly zero (no place on a log axis).")

# --- train it -----------------------------------------------------------------------------
st.subheader("Train it")
st.write("Does the variance picture predict which nets learn? Train the same configurations briefly, "
         "on the same data and batches, and compare.")
t1, _ = st.columns([1, 3])
epochs = t1.slider("Epochs", 1, 20, 5, key="var_epochs")
run_texts = [f"{a}/{i}" for a in config.activations for i in config.inits][:vanishing.MAX_RUNS]
if len(config.activations) * len(config.inits) > vanishing.MAX_RUNS:
    st.caption(f"The first {vanishing.MAX_RUNS} pairs are trained.")
train_config = vanishing.Config(runs=tuple(run_texts), dataset=config.dataset, depth=config.depth,
                                width=config.width, epochs=epochs, seed=config.seed, device=config.device)


panel = live.LivePanel("variance_train")


def draw(recs: list[dict], job) -> None:
    cfg = panel.job_config(train_config)
    by = frames.by_run(recs)
    if not by:
        st.caption("Press **Train** for a short training of every pair above.")
        return
    live.reports_caption(by)
    for run, rs in by.items():
        st.markdown(f"**{run}**: {vanishing.verdict(rs)}")
    labels = [vanishing.parse_run(text).label for text in cfg.runs]
    st.vega_lite_chart(spec=charts.learning_curves(frames.curves(recs), epochs=cfg.epochs, runs=labels,
                                                   status=frames.status(recs)))


panel.controls(panel.starter(vanishing.run, train_config), label="Train")
panel.show(draw)
