"""Activations: each function and its slope, saturation, gradient through depth, gated units,
and dying ReLU units watched live while a net trains."""

import streamlit as st

from core import activations, frames
from core.charts import learning_curves
from core.labs.activations import charts, shapes, tables
from core.labs.activations.config import Z_LIMIT, View
from ui import live
from ui.charts import chart, collect, exports
from ui.form import open_lab

ORDER = [activations.get(n).label for n in activations.names()]  # registry order fixes each activation's colour
MAX_DEPTH = 50  # layers in the gradient-through-depth view
SAMPLES = 4096  # Monte Carlo paths per activation
FORMULAS = "It is computed from the functions alone, with no network."  # why these views have no script

form = open_lab("activations", "Activation functions", (
    "An activation bends each unit's pre-activation z into its output f(z). Backpropagation then "
    "multiplies the gradient by f′(z) at every layer, so the slope matters as much as the shape: "
    "where f′ is near zero the unit is **saturated** and passes almost no gradient back. "
    "Every slope on this page is taken by autograd and every property is measured on a grid; "
    "nothing is typed in."
))
LAB = form.lab
DEFAULTS = LAB.config()


def shapes_and_slopes() -> None:
    """Each function and its autograd slope, saturation, a readout, measured properties; then
    the gradient through depth."""
    st.header("Shapes and slopes")
    names = form.widget("names")
    c1, c2, c3 = st.columns(3)
    for col, name in zip((c1, c2, c3), ("leaky_alpha", "elu_alpha", "swish_beta")):
        form.widget(name, col)
    c1, c2, c3, c4 = st.columns(4)
    lo = form.widget("z_min", c1, bounds=(-Z_LIMIT, Z_LIMIT - 0.5))
    hi = form.widget("z_max", c2, bounds=(lo + 0.5, Z_LIMIT))
    threshold = form.widget("threshold", c3)
    z_read = form.widget("z", c4, bounds=(lo, hi))
    view = View(**form.values(View))
    params = view.params()

    if not names:
        st.info("Pick at least one activation.")
        return
    shown = [shapes.label(n) for n in names]
    curves = shapes.curves(names, params, (lo, hi))
    spec = charts.activation_shapes(
        curves, shapes.saturation_regions(names, params, (lo, hi), threshold),
        shapes.readout(names, params, z_read), threshold=threshold, order=ORDER, shown=shown)
    chart(spec)
    exports("activation-shapes", lambda: curves, [spec], key="shapes_export", no_script=FORMULAS,
            help="each function f(z) and its autograd slope df = f′(z) on a grid of z")
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
    gradient_through_depth(names, params, shown)


def gradient_through_depth(names: list[str], params: dict, shown: list[str]) -> None:
    st.header("Gradient through depth")
    st.write(
        "Leave the weights aside: the activations alone put a factor f′(z) into the gradient at every "
        "layer. Draw each layer's pre-activation from N(0, σ²) and multiply the slopes along a path of L "
        "layers. Sigmoid's slope is at most 0.25, so its product can never beat 0.25^L: after 10 layers "
        "the gradient is a millionth of what it was. Tanh keeps slope 1 near 0, so it survives small σ "
        "and collapses as σ pushes z into its flat tails."
    )
    sigma = form.widget("sigma")
    products = shapes.depth_products(names, params, sigma, max_depth=MAX_DEPTH, samples=SAMPLES)
    with collect() as drawn:
        chart(charts.depth_products(products, shapes.sigmoid_bound(MAX_DEPTH), order=ORDER,
                                    shown=shown, max_depth=MAX_DEPTH))
    st.caption(
        f"Mean of |f′(z₁)···f′(z_L)| over {SAMPLES:,} sampled paths (seeded, the same draws for every "
        "activation). ReLU's slope is 0 or 1, so the mean is the share of paths on which every unit is "
        f"active, 2^−L: once none of the {SAMPLES:,} paths survives the estimate is exactly 0 and its line "
        "ends (a log axis has no 0). He initialization doubles the weights' variance to pay back that half."
    )
    exports("gradient-through-depth", lambda: products, drawn, key="depth_export", no_script=FORMULAS,
            help=f"per activation and depth L: the mean of |f′(z₁)···f′(z_L)| over {SAMPLES:,} sampled paths")


def gated_units() -> None:
    st.header("Gated units: GLU, GEGLU, SwiGLU")
    st.write(
        "SwiGLU and its relatives are not functions of one number: a gated layer computes two projections "
        "of the same input, a = x·W and b = x·V, and outputs gate(a)·b elementwise. The gate decides how "
        "much of the value b passes; b carries the sign and size. The layer has a third weight matrix for "
        "it, which is why a SwiGLU feed-forward block is usually made about 2/3 as wide. Below is one unit's "
        "output over a grid of (a, b): zero along b = 0 whatever the gate, and shut wherever gate(a) ≈ 0."
    )
    gate = form.widget("gate")
    surface = shapes.gated_surface(gate)
    with collect() as drawn:
        chart(charts.gated_surface(surface, gate_label=shapes.GATES.get(gate).label))
    exports(f"gated-{gate}", lambda: surface, drawn, key="gated_export", no_script=FORMULAS,
            help="out = gate(a)·b on the grid, with each cell's edges a0..a1, b0..b1")


panel = live.LivePanel("activations")
def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(DEFAULTS)
    runs = frames.by_run(records)
    for run, recs in runs.items():
        st.markdown(f"{live.status_icon(recs)} **{run}**: {tables.summary(recs)}")
    shown = cfg.labels()
    left, right = st.columns(2)
    with left:
        chart(charts.dead_by_layer(tables.dead_by_layer(records), order=ORDER, shown=shown))
    with right:
        chart(charts.dead_over_epochs(tables.dead_over_epochs(records), epochs=cfg.epochs,
                                                        order=ORDER, shown=shown))
    chart(learning_curves(frames.curves(records), epochs=cfg.epochs, runs=ORDER,
                                                   status=frames.status(records), shown=shown))


def dying_relu() -> None:
    """The same net trained once per activation, dead units per layer watched live."""
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
    with form.box("Training"):
        form.widget("activations")
        d = st.columns(6)
        for col, name in zip(d, ("optimizer", "lr", "depth", "width", "epochs", "batch_size")):
            form.widget(name, col)

    config, problem = form.check(empty="activations", message="Pick at least one activation to train.")
    form.sync()
    panel.controls(panel.starter(LAB.run, config) if config else None, disabled_reason=problem)
    panel.show(draw, empty="Press **Run** to train; the charts appear after the first report.",
               reports="one report per epoch per activation",
               export=(LAB.name, LAB.table))


form.presets()
shapes_and_slopes()
gated_units()
dying_relu()
