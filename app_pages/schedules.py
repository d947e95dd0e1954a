"""Learning-rate schedules: preview them, find a rate with the range test, race them live."""
import math

import pandas as pd
import streamlit as st

from core import data, frames, optim, schedules
from core.race import stacking_optimizers
from core.labs.schedules import charts, finder, tables
from core.labs.schedules.config import X_AXES, FinderConfig, View
from ui import live
from ui.charts import chart, collect, exports
from ui.form import open_lab

USABLE = stacking_optimizers()

form = open_lab("schedules", "Learning-rate schedules", (
    "The learning rate is the one setting that matters most. Here you see what each schedule does to it, "
    "step by step, as PyTorch's own schedulers compute it; find a good rate with the range test; and race "
    "schedules live from the same start on the same batches, the learning rate drawn right above the "
    "loss it produces."
))
LAB = form.lab


def dataset_name(name: str) -> str:
    """The dataset as the caption names it: its registry name, or an uploaded file's name."""
    return data.spec(name).label if data.is_upload(name) else name


def label(name: str) -> str:
    return schedules.get(name).label


def param_widget(box, name: str, key: str, default, wkey: str):
    """One schedule setting: the stepping as a radio, a parameter by its kind (None: the default widget)."""
    spec = schedules.get(name)
    if key == "interval":
        if len(spec.intervals) == 1:
            box.caption(f"Stepped per {spec.intervals[0]}" + (" (warm-up), then per epoch on the validation loss"
                                                              if name == "warmup_plateau" else "") + ".")
            return default
        return box.radio("Stepped", spec.intervals, key=wkey, horizontal=True, format_func=lambda i: f"per {i}",
                         help="once per optimizer step (batch) or per epoch")
    p = spec.params[key]
    text = f"{key}: {p.help}"
    if isinstance(p.default, (bool, tuple)):
        return None
    if p.log:
        grid = {float(f"{10 ** (e / 2):.3g}") for e in range(int(2 * math.log10(max(p.lo, 1e-12))),
                                                            int(2 * math.log10(p.hi)) + 1)}
        options = sorted(v for v in grid | {p.default, st.session_state[wkey]} if p.lo <= v <= p.hi)
        return box.select_slider(text, options, key=wkey, format_func=lambda v: f"{v:g}")
    if p.integer and p.hi > 50:  # e.g. d_model: powers of two
        options = sorted({2 ** e for e in range(20) if p.lo <= 2 ** e <= p.hi} | {p.default, st.session_state[wkey]})
        return box.select_slider(text, options, key=wkey)
    if p.integer:
        return box.slider(text, int(p.lo), int(p.hi), key=wkey)
    step, value = (0.05 if p.hi <= 5 else 0.5), float(st.session_state[wkey])
    lo = min(math.ceil(p.lo / step - 1e-9) * step, value)  # a grid the slider's steps land on
    return box.slider(text, float(lo), float(max(min(p.hi, 20.0), value)), key=wkey, step=step, format="%g")


def schedule_defaults(name: str) -> dict:
    spec = schedules.get(name)
    return {"interval": spec.interval, **{k: p.default for k, p in spec.params.items()}}


# --- 1. Preview ------------------------------------------------------------------------------
def preview() -> None:
    """What each schedule does to the learning rate, with each schedule's settings."""
    st.header("1. What each schedule does to the learning rate")
    with form.box("Schedules to preview"):
        names = form.widget("preview")
        row = st.columns([2, 2, 2, 1.2], vertical_alignment="bottom")
        form.widget("lr", row[0], label="Learning rate (1cycle's max_lr, Noam's scale)")
        form.widget("epochs", row[1])
        form.widget("optimizer", row[2], options=USABLE)
        form.widget("log_y", row[3])
        racing = list(form.value("schedules"))
        shown = list(dict.fromkeys([*names, *racing]))
        st.caption("Each schedule's settings; they are the ones the training below uses.")
        form.item_settings("settings", shown, schedule_defaults,
                           lambda s, _: schedules.parse_settings(s, schedules.names()),
                           item_label=label, draw=param_widget)
        if any(schedules.get(n).needs_metric for n in names):
            form.widget("plateau_at")

    view = View(**form.values(View))
    spe = tables.steps_per_epoch(form.value("dataset"), form.value("seed"), form.value("batch_size")) or 40
    if names:
        losses = schedules.simulated_losses(form.value("epochs"), plateau_at=view.plateau_at, seed=form.value("seed"))
        try:
            own = schedules.parse_settings(form.value("settings"), schedules.names())
            df = tables.preview(names, base_lr=float(form.value("lr")), epochs=form.value("epochs"),
                                steps_per_epoch=spe, settings=own, losses=losses)
        except ValueError as exc:
            st.warning(str(exc))
        else:
            loss_frame = (pd.DataFrame({"epoch": range(1, form.value("epochs") + 1), "loss": losses})
                          if any(schedules.get(n).needs_metric for n in names) else None)
            with collect() as drawn:
                chart(charts.schedule_preview(df, names=[label(n) for n in names], log_y=view.log_y,
                                              losses=loss_frame))
            st.caption(f"Each curve is PyTorch's scheduler stepped on a stand-in optimizer exactly as training steps "
                       f"it: {spe} batches per epoch ({dataset_name(form.value('dataset'))} at batch size "
                       f"{form.value('batch_size')}). "
                       "Stepped per epoch, a schedule is a staircase; per batch, a smooth curve.")
            exports("schedule-preview", lambda: df, drawn, key="preview_export",
                    no_script="The preview steps the schedulers on a stand-in optimizer, with no network.",
                    help="the learning rate of every optimizer step under each schedule")
    else:
        st.caption("Pick one or more schedules to see their curves.")


# --- 2. The range test ----------------------------------------------------------------------------
finder_panel = live.LivePanel("lrf")


def use_rate(lr: float, as_onecycle: bool) -> None:
    """Carry a suggested rate into the training below: as the fixed rate, or as 1cycle's max_lr."""
    chosen = list(form.value("schedules"))
    if as_onecycle:
        chosen = list(dict.fromkeys(chosen + ["onecycle"]))
    elif "constant" not in chosen:
        chosen = ["constant"] + chosen
    form.set(lr=float(f"{lr:.2g}"), schedules=tuple(chosen))
    st.session_state["schedules.used"] = f"{lr:.2g} " + ("as 1cycle's max_lr" if as_onecycle else "as the fixed rate")


def draw_finder(records: list[dict], job) -> None:
    cfg = finder_panel.job_config(FinderConfig())
    points, result = tables.finder_table(records)
    if points.empty:
        st.caption("Press **Range test**: the rate rises exponentially, one value per batch, "
                   "until the loss blows up. The weights are restored afterwards.")
        return
    st.caption(f"{int(points['step'].iloc[-1])} reports so far")  # steps count from 1; old points are thinned
    picks = result.get("suggestions", {})
    marks = pd.DataFrame([{"lr": v, "label": finder.LABELS[k], "text": f"{finder.LABELS[k]}: {v:.2g}",
                           "ypix": 12 + 16 * i} for i, (k, v) in enumerate(sorted(picks.items()))],
                         columns=["lr", "label", "text", "ypix"])
    chart(charts.lr_finder(points, marks, start=cfg.start_lr, end=cfg.end_lr))
    if not result:
        return
    st.write(f"{result['message']}. The model and optimizer are back as they were.")
    if not picks:
        st.warning("Too few points to suggest a rate: widen the range or use more batches.")
        return
    for key, lr in sorted(picks.items()):
        cols = st.columns([4, 1.3, 1.3], vertical_alignment="center")
        cols[0].markdown(f"**{finder.LABELS[key]}: {lr:.2g}**, {finder.EXPLANATIONS[key]}.")
        fixed = cols[1].button("Use it as the rate", key=f"lrf_use_{key}", on_click=use_rate, args=(lr, False),
                               help="the fixed rate (and base rate of every schedule) of the training below")
        onecycle = cols[2].button("Use it as 1cycle's max_lr", key=f"lrf_1cycle_{key}", on_click=use_rate,
                                  args=(lr, True))
        if fixed or onecycle:  # a button in this live panel reruns only the panel: redraw the whole page
            st.rerun()


def range_test() -> None:
    """The range test on the network and batch size the training below uses."""
    st.header("2. Find a learning rate: the range test")
    with form.box("Network and range test"):
        st.caption("The network and batch size shared by the range test and the training below.")
        net = st.columns(5)
        for col, name in zip(net, ("depth", "width", "activation", "init", "batch_size")):
            form.widget(name, col)
        fin = st.columns(5)
        for col, name in zip(fin, ("start_lr", "end_lr", "steps", "blowup", "smoothing")):
            form.widget(name, col)
    finder_config, finder_problem = form.check(FinderConfig)
    finder_panel.controls(finder_panel.starter(LAB.parts["finder"].run, finder_config) if finder_config else None,
                          label="Range test", disabled_reason=finder_problem)
    finder_panel.show(draw_finder, export=("lr-range-test", frames.flat))


# --- 3. Train -----------------------------------------------------------------------------
panel = live.LivePanel("sched")


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(LAB.config())
    st.dataframe(tables.scoreboard(records), hide_index=True, width="stretch", column_config={
        "best val accuracy": st.column_config.NumberColumn(format="percent"),
        "final val accuracy": st.column_config.NumberColumn(format="percent"),
        "final val loss": st.column_config.NumberColumn(format="%.4f"),
        "final lr": st.column_config.NumberColumn(format="%.3g")})
    x = form.value("x")
    chart(charts.schedule_race(
        tables.race_curves(records, x=x), names=[label(n) for n in cfg.schedules], x_title=X_AXES[x],
        x_max=cfg.epochs if x == "epoch" else None))


def train() -> None:
    """Schedules racing live from the same start on the same batches."""
    st.header("3. Train with schedules, live")
    if st.session_state.get("schedules.used"):
        st.success(f"Using {st.session_state.pop('schedules.used')} from the range test.")
    with form.box("Schedules racing"):
        top = st.columns([4, 1.6], vertical_alignment="bottom")
        chosen = form.widget("schedules", top[0])
        form.widget("seeds", top[1])
        st.caption(f"Optimizer {optim.get(form.value('optimizer')).label} at {form.value('lr'):g}, "
                   f"{form.value('epochs')} epochs, with each schedule's settings from section 1. ReduceLROnPlateau "
                   "reads each model's validation loss at every epoch's end; 1cycle steps after every batch.")
    config, problem = form.check(empty="schedules", message="Pick at least one schedule.")
    if config is not None:
        st.caption(f"{len(chosen) * config.seeds} models from the same start, on the same batches, in one "
                   "vectorized pass.")
    form.widget("x")
    form.sync()
    panel.controls(panel.starter(LAB.run, config) if config else None, label="Train", disabled_reason=problem)
    panel.show(draw, empty="Press **Train**; curves appear after the first report.",
               reports="one report per model per epoch, more on large sets",
               export=(LAB.name, LAB.table))


form.presets()
preview()
range_test()
train()
