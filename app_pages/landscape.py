"""Loss landscapes: optimizers on toy surfaces (saddles, valleys, poor minima), then a real
network's landscape: the linear path, 2-D slices, the Hessian's spectrum, and whether a stalled
run is really stuck."""
import functools

import streamlit as st

from core import curvature, optim
from core.charts import learning_curves
from core.labs.landscape import charts, surfaces, tables
from core.labs.landscape.config import Arena, own_defaults, parse_settings
from core.labs.landscape.run import run_arena
from ui import live
from ui.form import open_lab

form = open_lab("landscape", "Loss landscapes and saddle points", (
    "A network's loss is a surface over millions of weights, not convex. In high dimensions the trouble is "
    "rarely a bad local minimum: it is **saddle points**, where the gradient is zero but some directions still "
    "go down, and long narrow **valleys**, where training seems stuck while the gradient stays large, the "
    "weights bouncing between the walls. The Hessian's eigenvalues tell them apart: all positive at a minimum, "
    "both signs at a saddle. First on two parameters you can see, then on a real network."
))
LAB = form.lab
CLICK = "landscape/click"  # the arena chart's selection state ('/' keeps it apart from the settings)
CLICKED = "landscape/clicked"  # the click last applied to the start


def take_click() -> None:
    """A click on the arena chart moves the start there: applied before the start's inputs are
    drawn, once per click (typing a start afterwards keeps the typed one)."""
    event = st.session_state.get(CLICK)
    points = (event or {}).get("selection", {}).get(charts.START) or []
    if not points or points == st.session_state.get(CLICKED):
        return
    st.session_state[CLICKED] = points
    point = points[0]
    form.set(x0=round(float(point["x"]), 6), y0=round(float(point["y"]), 6))


def arena_settings() -> tuple[Arena | None, str | None]:
    form.presets()
    take_click()
    with form.box("Arena settings"):
        top = st.columns([3, 1.2, 1.2], vertical_alignment="bottom")
        name = form.widget("surface", top[0])
        box = surfaces.SURFACES.get(name).box
        form.widget("x0", top[1], help=f"inside {box[0]:g}..{box[1]:g}; or click the chart")
        form.widget("y0", top[2], help=f"inside {box[2]:g}..{box[3]:g}; or click the chart")
        row = st.columns(4)
        form.widget("steps", row[0])
        form.widget("noise", row[1], help="Gaussian noise of this σ is added to every gradient before the step "
                                          "(the same draws for every optimizer): the noise of small batches, "
                                          "or noise injected on purpose to escape saddles.")
        form.widget("rate", row[2])
        if name == "valley":
            form.widget("condition", row[3])
        opts = form.widget("optimizers")
        with st.expander("Each optimizer's own settings"):
            st.caption("Learning rate and the optimizer's own settings; tuples such as betas are written 0.9;0.999.")
            form.item_settings("settings", list(opts), lambda n: own_defaults(n, form.value("rate")),
                               lambda s, items: parse_settings(s, items, form.value("rate")),
                               item_label=lambda n: optim.get(n).label)
    return form.check(Arena, empty="optimizers", message="Pick at least one optimizer.")


def arena(config: Arena) -> None:
    surface = surfaces.SURFACES.get(config.surface)
    st.caption(f"**{surface.label}**, {surface.formula}: {surface.note} Box: x {surface.box[0]:g}..{surface.box[1]:g}, "
               f"y {surface.box[2]:g}..{surface.box[3]:g}; a path that leaves it ends at its edge, *escaped*.")
    panel = live.LivePanel("arena", verb="Stepping the optimizers")
    job = panel.ensure(functools.partial(run_arena, config), key=f"arena:{config!r}")
    if job is None or not job.is_terminal:
        panel.show(lambda records, j: None)
        return
    if job.status != "done":
        st.error(job.error or "The paths did not finish; change a setting to try again.")
        return
    records = job.snapshot()
    last = tables.longest(records)
    upto = st.slider("Replay: the paths up to step", 0, max(1, last), max(1, last), key=f"landscape/replay/{job.id}",
                     help="Drag to watch the optimizers move step by step.")
    cells, lines = tables.surface(config.surface, config.condition)
    box = surface.box
    cell = ((box[1] - box[0]) / (tables.HEATMAP_POINTS - 1), (box[3] - box[2]) / (tables.HEATMAP_POINTS - 1))
    runs = [e.name for e in config.entrants()]
    left, right = st.columns([1.25, 1])
    with left:
        st.vega_lite_chart(spec=charts.arena(cells, lines, tables.paths(records, upto=upto),
                                             tables.heads(records, upto=upto), box=box, runs=runs,
                                             start=(config.x0, config.y0), minima=tables.minima(config.surface, config.condition), cell=cell),
                           key=CLICK, on_select="rerun", selection_mode=charts.START)
    with right:
        st.vega_lite_chart(spec=charts.loss_per_step(tables.paths(records), steps=config.steps, runs=runs,
                                                     replay=upto,
                                                     minimum=tables.minimum(config.surface, config.condition)))
    st.dataframe(tables.readings(records), hide_index=True, width="stretch", column_config={
        "learning rate": st.column_config.NumberColumn(format="%g"),
        "x": st.column_config.NumberColumn(format="%.4g"), "y": st.column_config.NumberColumn(format="%.4g"),
        "loss": st.column_config.NumberColumn(format="%.4g"),
        "gradient norm": st.column_config.NumberColumn(format="%.2e"),
        "minimum ratio": st.column_config.NumberColumn(format="%.2f", help="share of positive eigenvalues")})
    st.caption(
        "At each path's end: the gradient norm and the Hessian's two eigenvalues (exact, by autograd). The minimum "
        "ratio is the share of positive eigenvalues: 1 at a minimum, between 0 and 1 at a saddle, 0 at a maximum. "
        f"The verdict is the second-order test; {curvature.tolerance_text()}, and then the test cannot tell. A "
        f"gradient norm above {curvature.CRITICAL_TOL:g} means the point is not critical at all: the verdict then "
        "says what kind of region the path is in, not where it came to rest.")


def network_settings() -> tuple[object, str | None]:
    with form.box("Network settings"):
        for col, name in zip(st.columns(4), ("depth", "width", "activation", "init")):
            form.widget(name, col)
        for col, name in zip(st.columns(4), ("optimizer", "lr", "epochs", "batch_size")):
            form.widget(name, col)
    return form.check()


st.header("The toy arena: two parameters")
st.write(
    "Each optimizer takes real `torch.optim` steps on a tensor of two parameters, from the same start, "
    "on the same gradients. Click the surface to start there, or type a start.")
arena_config, arena_problem = arena_settings()
if arena_config is not None:
    arena(arena_config)

st.header("A real network")
st.write(
    "Now a network of thousands of weights, trained live. Its landscape cannot be drawn whole, but it can be "
    "cut: along the line from the initial to the trained weights, on a plane through the trained weights, "
    "and by the curvature (the Hessian) at its checkpoints.")
config, problem = network_settings()
form.sync()
panel = live.LivePanel("landscape")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Train", disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    st.vega_lite_chart(spec=learning_curves(tables.curves(records), epochs=cfg.epochs, runs=["network"]))


panel.show(draw, empty="Press **Train** to train the network; its landscape views open when it has finished.",
           reports="one report per epoch, more on large sets")
