"""The Loss-landscape lab's charts: the arena (surface, contour lines, paths; a click sets the
start), loss per step, and the trained network's views."""
from __future__ import annotations

import functools

import altair as alt
import pandas as pd

from core.charts import PALETTE, WIDTH, Spec, compile_spec as _compile, with_data as _with_data

DENSITY_FLOOR = 1e-5  # the estimated density's log axis starts here (tables.DENSITY_FLOOR)
START = "start"  # the arena's click selection: its name, read back by the page
SIDE = 340  # the arena's plot, pixels per side
# the arena's optimizers: colours that stand apart from each other and from viridis's blues and greens
ARENA_PALETTE = ["#f58518", "#222222", "#e377c2", "#d62728", "#17becf", "#9d755d", "#ff9da6", "#7f7f7f"]
OUTCOME_SHAPES = {"moving": "triangle-up", "in the box": "circle", "escaped": "cross", "diverged": "cross",
                  "cancelled": "square"}


def _heat(title: str = "loss") -> alt.Color:
    # symlog: linear near zero, logarithmic far from it, so Rosenbrock's rim does not wash out its valley
    # and the saddle's negative half keeps its sign
    return alt.Color("loss:Q", title=title, scale=alt.Scale(type="symlog", scheme="viridis"),
                     legend=alt.Legend(orient="right", gradientLength=150))


def _optimizer_color(runs: tuple[str, ...], orient: str = "right") -> alt.Color:
    colours = [ARENA_PALETTE[i % len(ARENA_PALETTE)] for i in range(len(runs))]
    return alt.Color("run:N", title="optimizer", scale=alt.Scale(domain=list(runs), range=colours),
                     legend=alt.Legend(labelLimit=300, orient=orient))


@functools.lru_cache(maxsize=64)
def _arena_template(box: tuple[float, float, float, float], runs: tuple[str, ...], cell: tuple[float, float]) -> Spec:
    x_lo, x_hi, y_lo, y_hi = box
    dx, dy = cell
    x = alt.X("x:Q", title="x (first parameter)", scale=alt.Scale(domain=[x_lo, x_hi], nice=False, zero=False))
    y = alt.Y("y:Q", title="y (second parameter)", scale=alt.Scale(domain=[y_lo, y_hi], nice=False, zero=False))
    pick = alt.selection_point(name=START, on="click", fields=["x", "y"], clear=False, empty=False)
    # each cell a hair wider than the grid step, so anti-aliased edges leave no seams between cells
    hx, hy = 0.51 * dx, 0.51 * dy
    heat = alt.Chart(alt.Data(name="cells")).mark_rect(clip=True).transform_calculate(
        x2=f"datum.x + {hx!r}", y2=f"datum.y + {hy!r}", x1=f"datum.x - {hx!r}", y1=f"datum.y - {hy!r}").encode(
        x=alt.X("x1:Q", title="x (first parameter)", scale=alt.Scale(domain=[x_lo, x_hi], nice=False, zero=False)),
        x2="x2:Q",
        y=alt.Y("y1:Q", title="y (second parameter)", scale=alt.Scale(domain=[y_lo, y_hi], nice=False, zero=False)),
        y2="y2:Q", color=_heat(),
        tooltip=[alt.Tooltip("x:Q", format=".3g"), alt.Tooltip("y:Q", format=".3g"),
                 alt.Tooltip("loss:Q", format=".4g")]).add_params(pick)
    lines = alt.Chart(alt.Data(name="contours")).mark_line(color="white", strokeWidth=0.8, opacity=0.55,
                                                           clip=True).encode(
        x=x, y=y, detail="line:N", order="order:Q", tooltip=[alt.Tooltip("level:Q", format=".4g", title="loss")])
    colour = _optimizer_color(runs)
    halo = alt.Chart(alt.Data(name="paths")).mark_line(strokeWidth=4.5, color="white", opacity=0.7, clip=True).encode(
        x=x, y=y, order="step:Q", detail="run:N")
    path = alt.Chart(alt.Data(name="paths")).mark_line(strokeWidth=2, clip=True).encode(
        x=x, y=y, order="step:Q", color=colour,
        tooltip=["run:N", "step:Q", alt.Tooltip("x:Q", format=".4g"), alt.Tooltip("y:Q", format=".4g"),
                 alt.Tooltip("loss:Q", format=".4g"), alt.Tooltip("grad_norm:Q", format=".3g", title="gradient norm")])
    heads = alt.Chart(alt.Data(name="heads")).mark_point(filled=True, size=110, stroke="black", strokeWidth=1,
                                                         clip=True).encode(
        x=x, y=y, color=colour.legend(None),
        shape=alt.Shape("outcome:N", title="where it is", scale=alt.Scale(
            domain=list(OUTCOME_SHAPES), range=list(OUTCOME_SHAPES.values()))),
        tooltip=["run:N", "step:Q", "outcome:N", alt.Tooltip("loss:Q", format=".4g")])
    start = alt.Chart(alt.Data(name="start")).mark_point(shape="circle", size=160, color="white", strokeWidth=3,
                                                         filled=False).encode(
        x=x, y=y, tooltip=[alt.Tooltip("x:Q", title="start x"), alt.Tooltip("y:Q", title="start y")])
    minima = alt.Chart(alt.Data(name="minima")).mark_point(shape="diamond", size=300, color="white", filled=False,
                                                           strokeWidth=2).encode(
        x=x, y=y, tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("x:Q", format=".4g"),
                           alt.Tooltip("y:Q", format=".4g"), alt.Tooltip("loss:Q", format=".4g")])
    chart = alt.layer(heat, lines, halo, path, minima, start, heads).resolve_scale(color="independent",
                                                                                   shape="independent")
    return _compile(chart.properties(width=SIDE, height=SIDE, title="The surface, its contour lines and the paths "
                                                                    "(click to set the start)"))


def arena(cells: pd.DataFrame, lines: pd.DataFrame, paths: pd.DataFrame, heads: pd.DataFrame, *,
          box: tuple[float, float, float, float], runs: list[str], start: tuple[float, float],
          minima: pd.DataFrame, cell: tuple[float, float]) -> Spec:
    """The surface as a heatmap with contour lines, each optimizer's path up to the replayed step
    and where it is then (a cross where it left the box), the start and the known minima. A click
    on the heatmap selects the cell's centre as the new start (selection `START`)."""
    template = _arena_template(tuple(float(v) for v in box), tuple(runs), tuple(float(v) for v in cell))
    return _with_data(template, cells=cells, contours=lines, paths=paths, heads=heads, minima=minima,
                      start=pd.DataFrame({"x": [start[0]], "y": [start[1]]}))


@functools.lru_cache(maxsize=64)
def _steps_template(steps: int, runs: tuple[str, ...], gap: bool) -> Spec:
    y = (alt.Y("value:Q", title="loss − global minimum (log scale)", scale=alt.Scale(type="log"))
         if gap else alt.Y("value:Q", title="loss", scale=alt.Scale(zero=False)))
    colour = _optimizer_color(runs)
    lines = alt.Chart(alt.Data(name="paths")).mark_line(clip=True).encode(
        x=alt.X("step:Q", title="optimizer step", scale=alt.Scale(domain=[0, steps])), y=y, color=colour,
        tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".4g"),
                 alt.Tooltip("grad_norm:Q", format=".3g", title="gradient norm")])
    now = alt.Chart(alt.Data(name="now")).mark_rule(color="#888", strokeDash=[3, 3]).encode(
        x="step:Q", tooltip=[alt.Tooltip("step:Q", title="replayed up to step")])
    return _compile(alt.layer(lines, now).properties(width=WIDTH, height=SIDE, title="Loss at every step"))


def loss_per_step(paths: pd.DataFrame, *, steps: int, runs: list[str], replay: int, minimum: float | None) -> Spec:
    """Loss against step per optimizer; with a known global `minimum`, the gap to it on a log axis."""
    gap = minimum is not None
    df = paths.assign(value=(paths["loss"] - minimum).clip(lower=1e-12) if gap else paths["loss"])
    return _with_data(_steps_template(int(steps), tuple(runs), gap), paths=df, now=pd.DataFrame({"step": [replay]}))


# --- the trained network's views -----------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _path_template() -> Spec:
    x = alt.X("alpha:Q", title="α: θ = θ₀ + α (θ₁ − θ₀); dashed: α = 0, the initial weights, α = 1, the trained",
              scale=alt.Scale(domain=[-0.5, 1.5], nice=False))
    split = alt.Color("split:N", title="split", scale=alt.Scale(domain=["train", "validation"], range=PALETTE[:2]))
    line = alt.Chart(alt.Data(name="path")).mark_line(point=alt.OverlayMarkDef(size=10)).encode(
        x=x, y=alt.Y("loss:Q", title="cross-entropy loss (nats, log scale)", scale=alt.Scale(type="log")),
        color=split, tooltip=["split:N", alt.Tooltip("alpha:Q", format=".3f", title="α"),
                              alt.Tooltip("loss:Q", format=".4f"), alt.Tooltip("accuracy:Q", format=".1%")])
    ends = alt.Chart(alt.Data(name="ends")).mark_rule(color="#888", strokeDash=[3, 3]).encode(
        x="alpha:Q", tooltip=["what:N"])
    # in a vconcat, which Streamlit sizes by its content: a lone view's height is taken as the
    # element's, and its title is then drawn outside it, cut off
    return _compile(alt.vconcat(alt.layer(line, ends).properties(width=2 * WIDTH, height=260)).properties(
        title="Loss along the straight line from the initial to the trained weights"))


def linear_path(df: pd.DataFrame) -> Spec:
    ends = pd.DataFrame({"alpha": [0.0, 1.0], "what": ["initial weights (α = 0)", "trained (α = 1)"]})
    return _with_data(_path_template(), path=df, ends=ends)


@functools.lru_cache(maxsize=32)
def _slice_template(title: str, x_title: str, y_title: str, cell: tuple[float, float], with_path: bool) -> Spec:
    dx, dy = cell
    hx, hy = 0.51 * dx, 0.51 * dy  # a hair over half a step: no seams between cells
    heat = alt.Chart(alt.Data(name="cells")).mark_rect(clip=True).transform_calculate(
        a1=f"datum.a - {hx!r}", a2=f"datum.a + {hx!r}", b1=f"datum.b - {hy!r}", b2=f"datum.b + {hy!r}").encode(
        x=alt.X("a1:Q", title=x_title, scale=alt.Scale(nice=False, zero=False)), x2="a2:Q",
        y=alt.Y("b1:Q", title=y_title, scale=alt.Scale(nice=False, zero=False)), y2="b2:Q",
        color=alt.Color("loss:Q", title="loss (nats)", scale=alt.Scale(type="log", scheme="viridis"),
                        legend=alt.Legend(gradientLength=300)),
        tooltip=[alt.Tooltip("a:Q", format=".3g"), alt.Tooltip("b:Q", format=".3g"),
                 alt.Tooltip("loss:Q", format=".4f"), alt.Tooltip("accuracy:Q", format=".1%")])
    x, y = alt.X("x:Q", title=x_title), alt.Y("y:Q", title=y_title)
    lines = alt.Chart(alt.Data(name="contours")).mark_line(color="white", strokeWidth=0.8, opacity=0.6).encode(
        x=x, y=y, detail="line:N", order="order:Q", tooltip=[alt.Tooltip("level:Q", format=".4g", title="loss")])
    centre = alt.Chart(alt.Data(name="centre")).mark_point(shape="diamond", size=120, color="white", filled=True,
                                                           stroke="black").encode(
        x=x, y=y, tooltip=["what:N", alt.Tooltip("loss:Q", format=".4f")])
    layers = [heat, lines, centre]
    if with_path:
        path = alt.Chart(alt.Data(name="path")).mark_line(color=PALETTE[1], strokeWidth=2,
                                                          point=alt.OverlayMarkDef(size=18, color=PALETTE[1])).encode(
            x=x, y=y, order="index:Q", tooltip=[alt.Tooltip("epoch:Q", format=".2f"),
                                                 alt.Tooltip("loss:Q", format=".4f", title="loss there")])
        layers.append(path)
    return _compile(alt.layer(*layers).properties(width=SIDE - 60, height=SIDE - 60, title=title))


def slice_chart(cells: pd.DataFrame, lines: pd.DataFrame, centre: pd.DataFrame, *, title: str, x_title: str,
                y_title: str, cell: tuple[float, float], path: pd.DataFrame | None = None) -> Spec:
    """A 2-D slice of the loss as a heatmap (log colour) with contour lines; with `path`, the
    training trajectory projected on the slice's plane."""
    template = _slice_template(title, x_title, y_title, tuple(float(v) for v in cell), path is not None)
    return _with_data(template, cells=cells, contours=lines, centre=centre,
                      **({"path": path} if path is not None else {}))


@functools.lru_cache(maxsize=8)
def _spectrum_template(exact: bool) -> Spec:
    colour = alt.Color("checkpoint:N", title="checkpoint", sort=None)
    if exact:
        # rects from 0 up to the count: a bar mark with x and x2 both set would lie on its side
        bars = alt.Chart(alt.Data(name="density")).mark_rect(opacity=0.55).encode(
            x=alt.X("lo:Q", title="Hessian eigenvalue λ", scale=alt.Scale(zero=False)), x2="hi:Q",
            y=alt.Y("count:Q", title="eigenvalues per bin (symlog scale)", scale=alt.Scale(type="symlog", domainMin=0)),
            y2=alt.datum(0), color=colour,
            tooltip=["checkpoint:N", alt.Tooltip("lo:Q", format=".3g"), alt.Tooltip("hi:Q", format=".3g"),
                     "count:Q"])
    else:
        bars = alt.Chart(alt.Data(name="density")).mark_line(clip=True).encode(
            x=alt.X("eigenvalue:Q", title="Hessian eigenvalue λ", scale=alt.Scale(zero=False)),
            y=alt.Y("density:Q", title="estimated spectral density (log scale)",
                    scale=alt.Scale(type="log", domainMin=DENSITY_FLOOR, clamp=True)),
            color=colour, tooltip=["checkpoint:N", alt.Tooltip("eigenvalue:Q", format=".3g"),
                                   alt.Tooltip("density:Q", format=".3g")])
    zero = alt.Chart(alt.Data(name="zero")).mark_rule(color="#888", strokeDash=[3, 3]).encode(x="x:Q")
    extremes = alt.Chart(alt.Data(name="extremes")).mark_tick(thickness=3, size=16).encode(
        x="eigenvalue:Q", y=alt.value(8), color=colour,
        tooltip=["checkpoint:N", "end:N", alt.Tooltip("eigenvalue:Q", format=".4g")])
    title = ("Hessian spectrum (exact), as a histogram" if exact else
             "Hessian spectrum: density by stochastic Lanczos quadrature; ticks: extreme eigenvalues by Lanczos")
    return _compile(alt.vconcat(alt.layer(bars, zero, extremes).properties(width=2 * WIDTH, height=SIDE - 80))
                    .properties(title=title))  # in a vconcat: see _path_template


def spectrum(density: pd.DataFrame, extremes: pd.DataFrame, *, exact: bool) -> Spec:
    return _with_data(_spectrum_template(exact), density=density, extremes=extremes,
                      zero=pd.DataFrame({"x": [0.0]}))


@functools.lru_cache(maxsize=8)
def _stuck_template() -> Spec:
    x = alt.X("epoch:Q", title="epoch")
    base = alt.Chart(alt.Data(name="stuck"))
    loss = base.mark_line(point=alt.OverlayMarkDef(size=14), color=PALETTE[0]).encode(
        x=x, y=alt.Y("loss:Q", title="train loss, whole split (nats, log)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("loss:Q", format=".4f"),
                 alt.Tooltip("grad_norm:Q", format=".3g", title="gradient norm")])
    grad = base.mark_line(point=alt.OverlayMarkDef(size=14), color=PALETTE[1]).encode(
        x=x, y=alt.Y("grad_norm:Q", title="gradient norm, whole split (log)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("epoch:Q", format=".2f"), alt.Tooltip("grad_norm:Q", format=".3g")])
    marks = alt.Chart(alt.Data(name="stalled")).mark_rect(color=PALETTE[2], opacity=0.15).encode(
        x="start:Q", x2="end:Q", tooltip=[alt.Tooltip("start:Q", format=".2f", title="from epoch"),
                                         alt.Tooltip("end:Q", format=".2f", title="to epoch")])
    top = alt.layer(marks, loss).properties(width=2 * WIDTH, height=170, title="Training loss")
    bottom = alt.layer(marks, grad).properties(width=2 * WIDTH, height=170, title="Gradient norm")
    return _compile(alt.vconcat(top, bottom).properties(
        title="Is it really stuck? Shaded: the loss stopped improving while the gradient stayed large"))


def stuck(df: pd.DataFrame, stalled: pd.DataFrame) -> Spec:
    return _with_data(_stuck_template(), stuck=df, stalled=stalled)
