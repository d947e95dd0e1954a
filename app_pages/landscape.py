"""Loss landscapes: optimizers on toy surfaces (saddles, valleys, poor minima), then a real
network's landscape: the linear path, 2-D slices, the Hessian's spectrum, and whether a stalled
run is really stuck."""
import functools

import streamlit as st

from core import config as C
from core import curvature, hessian, jobs, optim
from core.charts import learning_curves
from core.labs.landscape import charts, surfaces, tables, views
from core.labs.landscape.config import Arena, View, own_defaults, parse_settings
from core.labs.landscape.run import run_arena
from ui import live
from ui.charts import chart, collect, exports
from ui.form import open_lab

form = open_lab("landscape", "Loss landscapes and saddle points", (
    "A network's loss is a surface over millions of weights, not convex. In high dimensions the trouble is "
    "rarely a bad local minimum: it is **saddle points**, where the gradient is zero but some directions still "
    "go down, and long narrow **valleys**, where training seems stuck while the gradient stays large, the "
    "weights bouncing between the walls. The Hessian's eigenvalues tell them apart: all positive at a minimum, "
    "both signs at a saddle. First on two parameters you can see, then on a real network."
))
LAB = form.lab
REGION = {curvature.MINIMUM: "positive in both directions, as around a minimum",
          curvature.SADDLE: "of both signs, as around a saddle", curvature.MAXIMUM: "negative in both directions",
          curvature.FLAT: "zero in some direction"}  # a non-critical point's curvature, in words
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
    job = panel.ensure(functools.partial(run_arena, config), key=f"arena:{C.key(config)}")
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
    left, right = st.columns([1.5, 1])
    with left, collect() as drawn:
        chart(charts.arena(cells, lines, tables.paths(records, upto=upto),
                                             tables.heads(records, upto=upto), box=box, runs=runs,
                                             start=(config.x0, config.y0), cell=cell,
                                             minima=tables.minima(config.surface, config.condition)),
                           key=CLICK, on_select="rerun", selection_mode=charts.START)
    with right, collect() as drawn_right:
        chart(charts.loss_per_step(tables.paths(records), steps=config.steps, runs=runs,
                                                     replay=upto,
                                                     minimum=tables.minimum(config.surface, config.condition)))
    exports("landscape-arena", lambda: LAB.table(records), drawn + drawn_right, key="arena_export",
            no_script="The arena steps optimizers on a formula of two parameters, not on a network.",
            help="every optimizer's path, one row per step: x, y, the loss and the gradient's norm there")
    at = tables.reading_at(config.surface, config.condition, config.x0, config.y0)
    st.caption(f"At the start ({at['x']:g}, {at['y']:g}): loss {at['loss']:.4g}, gradient norm {at['grad_norm']:.3g}, "
               f"Hessian eigenvalues {', '.join(f'{v:.4g}' for v in at['eigenvalues'])}: "
               + (f"a critical point, verdict **{at['verdict']}**." if at["critical"] else
                  f"not a critical point; the curvature there is {REGION[at['verdict']]}."))
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
panel = live.LivePanel("landscape")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Train", disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    chart(learning_curves(tables.curves(records), epochs=cfg.epochs, runs=["network"]))


panel.show(draw, empty="Press **Train** to train the network; its landscape views open when it has finished.",
           reports="one report per epoch, more on large sets",
           export=(LAB.name, LAB.table))

# --- views of the trained network ------------------------------------------------------------------
VIEWS = {  # name -> (tab, job function, lane)
    "path": ("Linear path", views.linear_path, "quick"),
    "slices": ("2-D slices", views.slices, "train"),
    "spectrum": ("Hessian spectrum", views.spectrum, "train"),
    "stuck": ("Is it really stuck?", views.stuck, "quick"),
}


def trained() -> tuple[object, dict] | None:
    """(the training job, its network) once training has finished with its weights at hand."""
    job = panel.job
    if job is None or not job.is_terminal:
        return None
    network = job.artifact("network")
    return (job, network) if network is not None else None


def has_result(records: list[dict]) -> bool:
    """Whether a view's records hold a result (not only progress)."""
    return any(r.get("kind") not in (None, "progress", "download") for r in records)


def with_prompt(draw, prompt: str):
    """`draw`, or `prompt` while there is nothing to draw yet (a view's records name no run)."""
    def drawn(records, job) -> None:
        if job is None or not has_result(records):
            st.caption(prompt)
        else:
            draw(records, job)
    return drawn


def view_panel(name: str, train_job, network: dict, view: View) -> live.LivePanel:
    """The view's Compute and Stop buttons and its job; a result of an earlier training is dropped."""
    tab, fn, lane = VIEWS[name]
    vpanel = live.LivePanel(f"landscape_{name}", verb=f"Computing the {tab.lower()}")
    prefix = f"landscape.{name}:{train_job.id}:"
    if vpanel.job is not None and not (vpanel.job.key or "").startswith(prefix):
        st.session_state.pop(vpanel.key, None)
    cfg = train_job.config

    def start():
        return jobs.submit(functools.partial(fn, network, cfg, view), label=f"landscape-{name}", lane=lane,
                           key=prefix + C.key(view))

    vpanel.controls(start, label="Compute")
    return vpanel


def view_export(vpanel: live.LivePanel, name: str, table) -> dict:
    """The view panel's export (shown once its job has ended): the view's table as CSV and its
    charts; none for a job that ended without a result (stopped before it had one). A job still
    running gets it: it may end within this run of the page, which then draws its result."""
    job = vpanel.job
    if job is None or (job.is_terminal and not has_result(job.snapshot())):
        return {}
    return {"export": (f"landscape-{name}", table),
            "no_script": "It evaluates the trained network's saved weights; the training above has its own export."}


def path_view(train_job, network: dict, view: View) -> None:
    form.widget("path_points")
    vpanel = view_panel("path", train_job, network, view)

    def draw(records, job) -> None:
        df = tables.linear_path(records)
        if df.empty:
            return
        chart(charts.linear_path(df))
        at = df.set_index(["split", "alpha"])["loss"]
        st.caption(f"Train loss {at[('train', 0.0)]:.3f} at the initial weights (α = 0), {at[('train', 1.0)]:.4f} "
                   f"at the trained ones (α = 1); validation {at[('validation', 1.0)]:.4f}. A path that falls "
                   "smoothly with no bump in between says the trained weights were reachable straight from the "
                   "start: the obstacles of training lie off this line, not on it.")

    vpanel.show(with_prompt(draw, "Press **Compute** for the loss on both splits along the line, "
                                  "α from −0.5 to 1.5."), **view_export(vpanel, "path", tables.linear_path))


def slice_view(train_job, network: dict, view: View) -> None:
    cols = st.columns(2)
    form.widget("resolution", cols[0])
    form.widget("span", cols[1])
    vpanel = view_panel("slices", train_job, network, view)

    def draw(records, job) -> None:
        left, right = st.columns(2)
        random = tables.grid(records, "slice")
        if random is not None:
            with left:
                chart(charts.slice_chart(
                    random["cells"], random["lines"], random["centre"], cell=random["cell"],
                    title="Around the trained weights: two random directions",
                    x_title="direction 1 (filter-normalized)", y_title="direction 2 (filter-normalized)"))
                st.caption(f"Centre (◆): the trained weights, loss {random['centre_loss']:.4f}. Each direction is "
                           "random, with every filter (a weight row) rescaled to the norm of the trained filter, "
                           "biases left out (Li et al., 2018), so a step of 1 is as large as the weights themselves.")
        along = tables.grid(records, "trajectory")
        if along is not None:
            with right:
                e1, e2 = along["explained"]
                chart(charts.slice_chart(
                    along["cells"], along["lines"], along["centre"], cell=along["cell"], path=along["path"],
                    title="The training trajectory on its own plane",
                    x_title=f"1st principal direction ({e1:.0%} of the path)",
                    y_title=f"2nd principal direction ({e2:.0%})"))
                st.caption("The plane of the two principal directions of the saved checkpoints "
                           "(PCA of θᵢ − θ_final); "
                           "orange: the checkpoints projected on it, from the initial weights to the centre. The "
                           f"two directions hold {e1 + e2:.0%} of the path's variance.")

    vpanel.show(with_prompt(draw, "Press **Compute** for both slices: the grid is evaluated in batches of "
                                  "weight vectors."), **view_export(vpanel, "slices", tables.slices_table))


def spectrum_view(train_job, network: dict, view: View) -> None:
    params = network["checkpoints"].shape[1]
    exact = params <= hessian.MAX_EXACT
    cols = st.columns(2)
    form.widget("at", cols[0])
    if not exact:
        form.widget("eigs", cols[1])
    st.caption(f"{params:,} parameters: " + (
        "small enough for the whole Hessian, built from Hessian-vector products in float64, and all its "
        "eigenvalues (eigvalsh)." if exact else
        f"too many for the whole Hessian (the limit here is {hessian.MAX_EXACT:,}). The extreme eigenvalues "
        "come from Lanczos on Hessian-vector products (scipy's eigsh), the shape of the whole spectrum from "
        f"stochastic Lanczos quadrature ({views.SLQ_PROBES} probes × {views.SLQ_STEPS} steps), and the "
        "minimum ratio is estimated from that density: the extremes alone cannot count positive eigenvalues."))
    vpanel = view_panel("spectrum", train_job, network, view)

    def draw(records, job) -> None:
        if not tables.spectra(records):
            return
        density, extremes, is_exact = tables.spectrum_frames(records)
        chart(charts.spectrum(density, extremes, exact=is_exact))
        st.dataframe(tables.spectrum_readings(records), hide_index=True, width="stretch", column_config={
            "gradient norm": st.column_config.NumberColumn(format="%.2e"),
            "λ min": st.column_config.NumberColumn(format="%.3g"),
            "λ max": st.column_config.NumberColumn(format="%.3g"),
            "minimum ratio": st.column_config.NumberColumn(format="%.3f", help="share of positive eigenvalues")})
        st.caption(f"The verdicts use the arena's tolerance: {curvature.tolerance_text()}. A trained network has "
                   "many eigenvalues near zero (directions the loss hardly depends on), so the exact test often "
                   "answers *flat*; what to watch is the negative side shrinking from checkpoint to checkpoint.")

    vpanel.show(with_prompt(draw, "Press **Compute** for the spectrum at the chosen checkpoints."),
                **view_export(vpanel, "spectrum", tables.spectrum_table))


def stuck_view(train_job, network: dict, view: View) -> None:
    vpanel = view_panel("stuck", train_job, network, view)

    def draw(records, job) -> None:
        rows, spans = tables.stuck_frames(records)
        if rows.empty:
            return
        chart(charts.stuck(rows, spans))
        st.markdown(reading_of(rows, spans))

    vpanel.show(with_prompt(draw, "Press **Compute** for the loss and the full gradient's norm at every checkpoint."),
                **view_export(vpanel, "stuck", tables.stuck_table))


def reading_of(rows, spans) -> str:
    """The stuck view in plain words."""
    rule = (f"Shaded where the loss fell by less than {views.STALL_PER_EPOCH:.0%} per epoch while the gradient norm "
            f"stayed above {views.STILL_LARGE:.0%} of its value at initialization.")
    first, last = rows.iloc[0], rows.iloc[-1]
    shrink = last["grad_norm"] / first["grad_norm"] if first["grad_norm"] else float("nan")
    if spans.empty:
        if shrink < views.STILL_LARGE:
            return (f"{rule} Nothing is shaded: the loss kept falling until the gradient itself had shrunk to "
                    f"{shrink:.1%} of its starting norm, so where the loss levels off the weights are near a critical "
                    "point (the spectrum says which kind).")
        return f"{rule} Nothing is shaded: the loss was still improving at every checkpoint."
    total = sum(s["end"] - s["start"] for _, s in spans.iterrows())
    return (f"{rule} For {total:g} epochs the loss barely moved while the gradient norm stayed at "
            f"{shrink:.0%} of its starting value at the end: the weights were not at a critical point, they kept "
            "being pushed, just not downhill: the picture of a narrow valley whose walls the steps bounce between, "
            "or of a step too large for the curvature. A smaller rate, momentum, an adaptive optimizer or "
            "normalization are what help there, not more patience.")


st.header("Views of the trained network")
form.widget("split")
view = View(**form.values(View))
st.caption(f"Every view: mean cross-entropy on the whole {view.split} split, in eval mode.")
done = trained()
if done is None:
    ended = panel.job is not None and panel.job.is_terminal
    if ended and panel.job.artifacts_dropped:
        st.info("The trained weights were freed to keep the server's memory bounded: press **Train** again to "
                "bring them back (the curves above stay).")
    elif ended:
        st.info("The views need a network whose training finished; this run "
                f"{'diverged' if panel.job.status == 'diverged' else 'did not finish'}. Change the settings (a "
                "smaller learning rate) and train again.")
    else:
        st.caption("Train first: the views open on the network once its training has finished.")
else:
    train_job, network = done
    tabs = st.tabs([v[0] for v in VIEWS.values()])
    for tab, draw_view in zip(tabs, (path_view, slice_view, spectrum_view, stuck_view)):
        with tab:
            draw_view(train_job, network, view)
form.sync()
