"""Activations: each function and its slope, saturation, gradient through depth, gated units,
and dying ReLU units watched live while a net trains."""

import streamlit as st

from core import activation_shapes as shapes
from core import activations, charts, frames, optim
from core.experiments import activations as lab
from core.experiments import base
from ui import live, query, sidebar

DEFAULTS = lab.Config()
NAMES = activations.names()
ORDER = [activations.get(n).label for n in NAMES]  # registry order fixes each activation's colour
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1.0]
WIDTHS = [16, 32, 64, 100, 128, 256, 512]
MAX_DEPTH = 50  # layers in the gradient-through-depth view
SAMPLES = 4096  # Monte Carlo paths per activation
Z_LIMIT = 20.0

st.title("Activation functions")
st.write(
    "An activation bends each unit's pre-activation z into its output f(z). Backpropagation then "
    "multiplies the gradient by f′(z) at every layer, so the slope matters as much as the shape: "
    "where f′ is near zero the unit is **saturated** and passes almost no gradient back. "
    "Every slope on this page is taken by autograd and every property is measured on a grid; "
    "nothing is typed in."
)
shared = sidebar.shared_controls()
for key, value in {
    "act_names": ["sigmoid", "tanh", "relu", "elu", "gelu"], "act_zrange": (-6.0, 6.0), "act_threshold": 0.05,
    "act_z": 1.0, "act_leaky_alpha": 0.01, "act_elu_alpha": 1.0, "act_swish_beta": 1.0, "act_sigma": 1.0,
    "act_gate": "swiglu", "act_dying_acts": list(DEFAULTS.activations), "act_opt": DEFAULTS.optimizer,
    "act_lr": DEFAULTS.lr, "act_depth": DEFAULTS.depth, "act_width": DEFAULTS.width, "act_epochs": DEFAULTS.epochs,
}.items():
    st.session_state.setdefault(key, value)  # widgets below take their value from here
query.prefill(lab.Config, {"activations": "act_dying_acts", "optimizer": "act_opt", "lr": "act_lr",
                           "depth": "act_depth", "width": "act_width", "epochs": "act_epochs"})

# --- shapes and slopes --------------------------------------------------------------------
st.header("Shapes and slopes")
names = st.multiselect("Activations", NAMES, key="act_names", format_func=shapes.label)
c1, c2, c3 = st.columns(3)
leaky = c1.slider("Leaky ReLU slope α", 0.0, 0.5, step=0.01, key="act_leaky_alpha",
                  help="slope for z < 0; α = 0 is ReLU")
elu = c2.slider("ELU α", 0.1, 3.0, step=0.1, key="act_elu_alpha", help="ELU tends to −α as z → −∞")
beta = c3.slider("Swish β", 0.1, 5.0, step=0.1, key="act_swish_beta",
                 help="z·sigmoid(βz): β = 1 is SiLU, large β approaches ReLU")
params = {"leaky_relu": {"alpha": leaky}, "elu": {"alpha": elu}, "swish": {"beta": beta}}
c1, c2, c3 = st.columns(3)
z_range = c1.slider("z range", -Z_LIMIT, Z_LIMIT, step=0.5, key="act_zrange")
threshold = c2.slider("Saturation threshold on |f′(z)|", 0.0, 0.5, step=0.01, key="act_threshold",
                      help="z where |f′(z)| is below this is shaded: a unit there passes little gradient")
lo, hi = z_range
if lo >= hi:
    hi = lo + 0.5
st.session_state.act_z = min(max(st.session_state.act_z, lo), hi)  # keep the readout inside the range
z_read = c3.slider("Read off at z", lo, hi, step=0.05, key="act_z")

if not names:
    st.info("Pick at least one activation.")
else:
    shown = [shapes.label(n) for n in names]
    spec = charts.activation_shapes(
        shapes.curves(names, params, (lo, hi)), shapes.saturation_regions(names, params, (lo, hi), threshold),
        shapes.readout(names, params, z_read), threshold=threshold, order=ORDER, shown=shown)
    st.vega_lite_chart(spec=spec)
    values = shapes.readout(names, params, z_read).rename(columns={"f": "f(z)", "df": "f′(z)"})
    values["activation"] = [shapes.label_with_params(n, params) for n in names]
    st.caption(f"At z = {z_read:g}")
    st.dataframe(values[["activation", "f(z)", "f′(z)"]], hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.5f") for c in ("f(z)", "f′(z)")})

    st.subheader("Properties, measured")
    st.dataframe(shapes.properties_table(names, params), hide_index=True, width="stretch")
    st.caption(
        "Output range: f on a grid out to |z| = 10⁴; a bracket [ means the bound is reached, ( that it is "
        "only approached. Zero-centred: the mean output for z ~ N(0, 1) is within 5% of its spread, so the "
        "next layer's inputs are not all of one sign. Smooth (C¹): f′ has no jump; jumps of f′ between "
        "neighbouring grid points are compared at two step sizes, and a jump keeps its size while a smooth "
        "change shrinks with the step. Monotonic: f′ ≥ 0 everywhere. Suits init: the initializer that keeps "
        "the variance of this activation's outputs steady through depth."
    )

    # --- gradient through depth -----------------------------------------------------------
    st.header("Gradient through depth")
    st.write(
        "Leave the weights aside: the activations alone put a factor f′(z) into the gradient at every "
        "layer. Draw each layer's pre-activation from N(0, σ²) and multiply the slopes along a path of L "
        "layers. Sigmoid's slope is at most 0.25, so its product can never beat 0.25^L: after 10 layers "
        "the gradient is a millionth of what it was. Tanh keeps slope 1 near 0, so it survives small σ "
        "and collapses as σ pushes z into its flat tails."
    )
    sigma = st.slider("σ, spread of the pre-activations", 0.1, 5.0, step=0.1, key="act_sigma")
    products = shapes.depth_products(names, params, sigma, max_depth=MAX_DEPTH, samples=SAMPLES)
    st.vega_lite_chart(spec=charts.depth_products(products, shapes.sigmoid_bound(MAX_DEPTH), order=ORDER,
                                                  shown=shown, max_depth=MAX_DEPTH))
    st.caption(
        f"Mean of |f′(z₁)···f′(z_L)| over {SAMPLES:,} sampled paths (seeded, the same draws for every "
        "activation). ReLU's slope is 0 or 1, so the mean is the share of paths on which every unit is "
        f"active, 2^−L: once none of the {SAMPLES:,} paths survives the estimate is exactly 0 and its line "
        "ends (a log axis has no 0). He initialization doubles the weights' variance to pay back that half."
    )

# --- gated units ----------------------------------------------------------------------------
st.header("Gated units: GLU, GEGLU, SwiGLU")
st.write(
    "SwiGLU and its relatives are not functions of one number: a gated layer computes two projections "
    "of the same input, a = x·W and b = x·V, and outputs gate(a)·b elementwise. The gate decides how "
    "much of the value b passes; b carries the sign and size. The layer has a third weight matrix for "
    "it, which is why a SwiGLU feed-forward block is usually made about 2/3 as wide. Below is one unit's "
    "output over a grid of (a, b): zero along b = 0 whatever the gate, and shut wherever gate(a) ≈ 0."
)
gate = st.selectbox("Gate", shapes.GATES.names(), key="act_gate", format_func=lambda g: shapes.GATES.get(g).label)
st.vega_lite_chart(spec=charts.gated_surface(shapes.gated_surface(gate), gate_label=shapes.GATES.get(gate).label))

# --- dying ReLU -------------------------------------------------------------------------------
st.header("Dying ReLU")
st.write(
    "A ReLU unit whose pre-activation is negative for every input has slope 0 everywhere: no gradient "
    "reaches its weights, so it never comes back. A large step can push a unit's bias there in one "
    "update. Here the same net (He initialization for every activation, the same seed and batches) "
    "trains once per activation, and a unit counts as **dead** when |f′(z)| < 0.001 on every one of "
    "512 validation examples. A leaky-ReLU unit that is never positive still passes α of the gradient, "
    "so it is not dead (the tooltip also shows the share of units that are never positive)."
)
st.write(
    f"The defaults were measured on digits: Adam at learning rate {DEFAULTS.lr:g}, depth {DEFAULTS.depth}, "
    f"width {DEFAULTS.width}, batch {DEFAULTS.batch_size}, {DEFAULTS.epochs} epochs. Over seeds 0-3, 15-17% of "
    "the ReLU units die, most in the first epoch, while leaky ReLU and GELU lose none and ELU at most 0.3%; all "
    "four still learn. Raise the rate to 0.02 and a third or more of the ReLU units die, but ELU and GELU start "
    "to lose units as well: their slopes are tiny, though not zero, far to the left. Only leaky ReLU, whose "
    "slope is never below α, keeps every unit. Training uses each activation's default parameters "
    "(leaky α = 0.01, ELU α = 1)."
)
with st.container(border=True):
    dying = st.multiselect("Activations trained side by side", NAMES, key="act_dying_acts",
                           format_func=shapes.label, max_selections=base.limits(lab.Config, "activations")[1])
    d1, d2, d3, d4, d5 = st.columns(5)
    opt_name = d1.selectbox("Optimizer", optim.names(), key="act_opt", format_func=lambda n: optim.get(n).label)
    lr = d2.select_slider("Learning rate", sorted(set(LRS) | {st.session_state.act_lr}), key="act_lr",
                          format_func=lambda v: f"{v:g}")
    depth = d3.slider("Depth (hidden layers)", *base.limits(lab.Config, "depth"), key="act_depth")
    width = d4.select_slider("Width (units per layer)", sorted(set(WIDTHS) | {st.session_state.act_width}),
                             key="act_width")
    epochs = d5.slider("Epochs", *base.limits(lab.Config, "epochs"), key="act_epochs")

config, problem = None, None
try:
    config = lab.Config(activations=tuple(dying), dataset=shared.dataset, depth=depth, width=width,
                        optimizer=opt_name, lr=float(lr), epochs=epochs, seed=shared.seed, device=shared.device)
except ValueError as exc:
    problem = "Pick at least one activation to train." if not dying else str(exc)
if problem:
    st.warning(problem)


panel = live.LivePanel("activations")
panel.controls(panel.starter(lab.run, config) if config else None, disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(DEFAULTS)
    runs = frames.by_run(records)
    if not runs:
        st.caption("Press **Run** to train; the charts appear after the first report.")
        return
    live.reports_caption(runs, help="one report per epoch per activation")
    for run, recs in runs.items():
        st.markdown(f"{live.status_icon(recs)} **{run}**: {lab.summary(recs)}")
    shown = lab.labels(cfg)
    left, right = st.columns(2)
    with left:
        st.vega_lite_chart(spec=charts.dead_by_layer(lab.dead_by_layer(records), order=ORDER, shown=shown))
    with right:
        st.vega_lite_chart(spec=charts.dead_over_epochs(lab.dead_over_epochs(records), epochs=cfg.epochs,
                                                        order=ORDER, shown=shown))
    st.vega_lite_chart(spec=charts.learning_curves(frames.curves(records), epochs=cfg.epochs, runs=ORDER,
                                                   status=frames.status(records), shown=shown))


panel.show(draw)
