"""Learning-rate schedules: preview them, find a rate with the range test, race them live."""
import math

import pandas as pd
import streamlit as st

from core import activations, charts, data, frames, init, lr_finder, optim, schedules
from core.experiments import base
from core.experiments import schedules as S
from ui import live, query, sidebar

DEFAULTS = S.Config()
FINDER = S.FinderConfig()
LRS = [1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0]
BATCHES = [8, 16, 32, 64, 128, 256, 512]
PREVIEW_DEFAULT = ["step", "cosine", "warmup_cosine", "onecycle", "plateau"]

st.title("Learning-rate schedules")
st.write(
    "The learning rate is the one setting that matters most. Here you see what each schedule does to it, "
    "step by step, as PyTorch's own schedulers compute it; find a good rate with the range test; and race "
    "schedules live from the same start on the same batches, the learning rate drawn right above the "
    "loss it produces."
)
shared = sidebar.shared_controls()
for key, value in {"sch_preview": PREVIEW_DEFAULT, "sch_train": list(DEFAULTS.schedules), "sch_opt": DEFAULTS.optimizer,
                   "sch_lr": DEFAULTS.lr, "sch_epochs": DEFAULTS.epochs, "sch_batch": DEFAULTS.batch_size,
                   "sch_depth": DEFAULTS.depth, "sch_width": DEFAULTS.width, "sch_act": DEFAULTS.activation,
                   "sch_init": DEFAULTS.init, "sch_seeds": DEFAULTS.seeds, "lrf_opt": FINDER.optimizer,
                   "lrf_steps": FINDER.steps}.items():
    st.session_state.setdefault(key, value)
query.prefill(S.Config, {"schedules": "sch_train", "optimizer": "sch_opt", "lr": "sch_lr", "epochs": "sch_epochs",
                         "batch_size": "sch_batch", "depth": "sch_depth", "width": "sch_width", "seeds": "sch_seeds"})


def label(name: str) -> str:
    return schedules.get(name).label


@st.cache_data(show_spinner=False, max_entries=8)
def train_size(name: str, seed: int) -> int | None:
    """Examples in the train split (None while the set is not cached)."""
    return len(data.load(name, seed=seed).train) if data.is_cached(name) else None


def param_widget(name: str, key: str, p: schedules.Param, container) -> object:
    wkey = f"sch_{name}_{key}"
    text = f"{key}: {p.help}"
    if isinstance(p.default, bool):
        return container.toggle(text, value=p.default, key=wkey)
    if isinstance(p.default, tuple):
        raw = container.text_input(text + " (comma-separated)", value=", ".join(f"{v:g}" for v in p.default), key=wkey)
        try:
            return tuple(float(v) for v in raw.replace(";", ",").split(",") if v.strip())
        except ValueError:
            container.warning(f"{key}: write numbers separated by commas, e.g. 5, 8")
            return p.default
    if p.log:
        options = sorted({float(f"{10 ** (e / 2):.3g}") for e in range(int(2 * math.log10(max(p.lo, 1e-12))),
                                                                    int(2 * math.log10(p.hi)) + 1)} | {p.default})
        options = [v for v in options if p.lo <= v <= p.hi]
        return container.select_slider(text, options, value=p.default, key=wkey, format_func=lambda v: f"{v:g}")
    if p.integer and p.hi > 50:  # e.g. d_model: powers of two
        options = sorted({2 ** e for e in range(20) if p.lo <= 2 ** e <= p.hi} | {p.default})
        return container.select_slider(text, options, value=p.default, key=wkey)
    if p.integer:
        return container.slider(text, int(p.lo), int(p.hi), int(p.default), key=wkey)
    step = 0.05 if p.hi <= 5 else 0.5
    lo, hi = math.ceil(p.lo / step - 1e-9) * step, min(p.hi, 20.0)  # a grid the slider's steps land on
    return container.slider(text, float(lo), float(hi), float(p.default), step=step, key=wkey, format="%g")


def settings_of(names: list[str]) -> dict[str, dict]:
    """Each chosen schedule's parameters and stepping, from its widgets (set in the preview)."""
    out = {}
    for name in names:
        spec = schedules.get(name)
        own = {k: st.session_state.get(f"sch_{name}_{k}", p.default) for k, p in spec.params.items()}
        own = {k: v for k, v in own.items() if v != spec.params[k].default}
        interval = st.session_state.get(f"sch_{name}_interval", spec.interval)
        if interval != spec.interval:
            own["interval"] = interval
        out[name] = own
    return out


def as_text(settings: dict[str, dict]) -> tuple[str, ...]:
    return tuple(f"{name}:{k}=" + (";".join(f"{x:g}" for x in v) if isinstance(v, tuple) else
                                     str(v) if isinstance(v, (bool, str)) else f"{v:g}")
                 for name, own in settings.items() for k, v in own.items())


# --- 1. Preview ------------------------------------------------------------------------------
st.header("1. What each schedule does to the learning rate")
with st.container(border=True):
    names = st.multiselect("Schedules to overlay", schedules.names(), key="sch_preview", format_func=label)
    row = st.columns([2, 2, 2, 1.2], vertical_alignment="bottom")
    base_lr = row[0].select_slider("Learning rate (1cycle's max_lr, Noam's scale)",
                                   sorted(set(LRS) | {st.session_state.sch_lr}), value=st.session_state.sch_lr,
                                   format_func=lambda v: f"{v:g}", key="sch_preview_lr")
    p_epochs = row[1].slider("Epochs", 1, 100, st.session_state.sch_epochs, key="sch_preview_epochs")
    n_train = train_size(shared.dataset, shared.seed)
    batch = st.session_state.sch_batch
    default_spe = max(1, math.ceil(n_train / batch)) if n_train else 40
    spe = row[2].number_input("Batches per epoch", 1, 5000, default_spe, key=f"sch_spe_{shared.dataset}_{batch}",
                              help=f"{n_train or 'its'} training examples of {shared.dataset} at batch size {batch}")
    log_y = row[3].toggle("Log scale", key="sch_log")
    plateau_at = 4
    if names:
        tabs = st.tabs([label(n) for n in names])
        for name, tab in zip(names, tabs):
            spec = schedules.get(name)
            tab.caption(f"**{spec.note}**. PyTorch: `{spec.torch_name or 'none needed'}`.")
            if len(spec.intervals) > 1:
                tab.radio("Stepped", spec.intervals, key=f"sch_{name}_interval", horizontal=True,
                          format_func=lambda i: f"per {i}", help="once per optimizer step (batch) or per epoch")
            else:
                tab.caption(f"Stepped per {spec.intervals[0]}" + (" (warm-up), then per epoch on the validation loss"
                                                                   if name == "warmup_plateau" else "") + ".")
            cols = tab.columns(3)
            for i, (key, p) in enumerate(spec.params.items()):
                param_widget(name, key, p, cols[i % 3])
        if any(schedules.get(n).needs_metric for n in names):
            plateau_at = st.slider("Simulated validation loss stops improving after epoch", 1, 100,
                                   min(4, p_epochs), key="sch_plateau_at")

preview_settings = settings_of(names)
problem = None
if names:
    losses = schedules.simulated_losses(p_epochs, plateau_at=plateau_at, seed=shared.seed)
    try:
        df = S.preview(names, base_lr=float(base_lr), epochs=p_epochs, steps_per_epoch=int(spe),
                       settings=preview_settings, losses=losses)
    except ValueError as exc:
        problem = str(exc)
        st.warning(problem)
    else:
        loss_frame = (pd.DataFrame({"epoch": range(1, p_epochs + 1), "loss": losses})
                      if any(schedules.get(n).needs_metric for n in names) else None)
        st.vega_lite_chart(spec=charts.schedule_preview(df, names=[label(n) for n in names], log_y=log_y,
                                                        losses=loss_frame))
        st.caption("Each curve is PyTorch's scheduler stepped on a stand-in optimizer exactly as training steps "
                   "it. Stepped per epoch, a schedule is a staircase; per batch, a smooth curve. The settings "
                   "here are the ones the training below uses.")
else:
    st.caption("Pick one or more schedules to see their curves.")

# --- the network and data both experiments below use ------------------------------------------
st.header("2. Find a learning rate: the range test")
with st.container(border=True):
    st.caption("The network and batch size shared by the range test and the training below.")
    net = st.columns(5)
    depth = net[0].slider("Depth", *base.limits(S.Config, "depth"), key="sch_depth")
    width = net[1].select_slider("Width", sorted({16, 32, 64, 100, 128, 256, 512} | {st.session_state.sch_width}),
                                 key="sch_width")
    act = net[2].selectbox("Activation", activations.names(), key="sch_act",
                           format_func=lambda n: activations.get(n).label)
    ini = net[3].selectbox("Initializer", init.names(), key="sch_init", format_func=lambda n: init.get(n).label)
    batch = net[4].select_slider("Batch size", sorted(set(BATCHES) | {st.session_state.sch_batch}), key="sch_batch")
    fin = st.columns([2, 3, 2], vertical_alignment="bottom")
    usable = [n for n in optim.names() if not optim.get(n).needs_hessian]
    f_opt = fin[0].selectbox("Optimizer", usable, key="lrf_opt", format_func=lambda n: optim.get(n).label)
    f_range = fin[1].select_slider("From … to", [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0],
                                   value=(FINDER.start, FINDER.end), key="lrf_range", format_func=lambda v: f"{v:g}")
    f_steps = fin[2].slider("Batches", 20, 500, key="lrf_steps")

finder_config, finder_problem = None, None
try:
    finder_config = S.FinderConfig(optimizer=f_opt, start=float(f_range[0]), end=float(f_range[1]), steps=f_steps,
                                   dataset=shared.dataset, depth=depth, width=width, activation=act, init=ini,
                                   batch_size=batch, seed=shared.seed, device=shared.device)
except ValueError as exc:
    finder_problem = str(exc)
    st.warning(finder_problem)
finder = live.LivePanel("lrf")
finder.controls(finder.starter(S.run_finder, finder_config) if finder_config else None, label="Range test",
                disabled_reason=finder_problem)


def use_rate(lr: float, as_onecycle: bool) -> None:
    """Carry a suggested rate into the training below: as the fixed rate, or as 1cycle's max_lr."""
    st.session_state.sch_lr = float(f"{lr:.2g}")
    st.session_state.sch_opt = st.session_state.lrf_opt
    chosen = list(st.session_state.sch_train)
    if as_onecycle:
        chosen = list(dict.fromkeys(chosen + ["onecycle"]))
    elif "constant" not in chosen:
        chosen = ["constant"] + chosen
    st.session_state.sch_train = chosen
    st.session_state.sch_used = f"{lr:.2g} " + ("as 1cycle's max_lr" if as_onecycle else "as the fixed rate")


def draw_finder(records: list[dict], job) -> None:
    cfg = finder.job_config(finder_config or FINDER)
    points, result = S.finder_table(records)
    if points.empty:
        st.caption("Press **Range test**: the rate rises exponentially, one value per batch, "
                   "until the loss blows up. The weights are restored afterwards.")
        return
    st.caption(f"{len(points)} reports so far")
    picks = result.get("suggestions", {})
    marks = pd.DataFrame([{"lr": v, "label": lr_finder.LABELS[k], "text": f"{lr_finder.LABELS[k]}: {v:.2g}",
                           "ypix": 12 + 16 * i} for i, (k, v) in enumerate(sorted(picks.items()))],
                         columns=["lr", "label", "text", "ypix"])
    st.vega_lite_chart(spec=charts.lr_finder(points, marks, start=cfg.start, end=cfg.end))
    if not result:
        return
    st.write(f"{result['message']}. The model and optimizer are back as they were.")
    if not picks:
        st.warning("Too few points to suggest a rate: widen the range or use more batches.")
        return
    for key, lr in sorted(picks.items()):
        cols = st.columns([4, 1.3, 1.3], vertical_alignment="center")
        cols[0].markdown(f"**{lr_finder.LABELS[key]}: {lr:.2g}**, {lr_finder.EXPLANATIONS[key]}.")
        fixed = cols[1].button("Use it as the rate", key=f"lrf_use_{key}",
                               help="the fixed rate (and base rate of every schedule) of the training below")
        onecycle = cols[2].button("Use it as 1cycle's max_lr", key=f"lrf_1cycle_{key}")
        if fixed or onecycle:  # a button in this live panel reruns only the panel: redraw the whole page
            use_rate(lr, onecycle)
            st.rerun()


finder.show(draw_finder)

# --- 3. Train -----------------------------------------------------------------------------
st.header("3. Train with schedules, live")


def chapter_preset() -> None:
    """The chapter's comparison: SGD at 0.05 under five schedules."""
    st.session_state.update(sch_train=list(S.CHAPTER), sch_opt="sgd", sch_lr=0.05, sch_depth=3, sch_width=100,
                            sch_act="relu", sch_init="he_normal", sch_batch=32, sch_epochs=10)


if st.session_state.get("sch_used"):
    st.success(f"Using {st.session_state.pop('sch_used')} from the range test.")
with st.container(border=True):
    top = st.columns([4, 1.6], vertical_alignment="bottom")
    chosen = top[0].multiselect("Schedules racing", schedules.names(), key="sch_train", format_func=label,
                                max_selections=12)
    top[1].button("The chapter's comparison", on_click=chapter_preset, key="sch_chapter_btn",
                  help="SGD at 0.05: constant, exponential (γ=0.9), ReduceLROnPlateau, warm-up + plateau, 1cycle")
    row = st.columns(4)
    t_opt = row[0].selectbox("Optimizer", usable, key="sch_opt", format_func=lambda n: optim.get(n).label)
    t_lr = row[1].select_slider("Learning rate", sorted(set(LRS) | {st.session_state.sch_lr}), key="sch_lr",
                                format_func=lambda v: f"{v:g}")
    t_epochs = row[2].slider("Epochs", *base.limits(S.Config, "epochs"), key="sch_epochs")
    t_seeds = row[3].slider("Seeds", *base.limits(S.Config, "seeds"), key="sch_seeds")
    st.caption("Each schedule uses the settings from its tab in section 1. ReduceLROnPlateau reads each model's "
               "validation loss at every epoch's end; 1cycle steps after every batch.")

config, train_problem = None, None
try:
    config = S.Config(schedules=tuple(chosen), settings=as_text(settings_of(chosen)), optimizer=t_opt, lr=float(t_lr),
                      dataset=shared.dataset, depth=depth, width=width, activation=act, init=ini, batch_size=batch,
                      epochs=t_epochs, seeds=t_seeds, seed=shared.seed, device=shared.device)
except ValueError as exc:
    train_problem = "Pick at least one schedule." if not chosen else str(exc)
    st.warning(train_problem)
if config is not None:
    st.caption(f"{len(chosen) * t_seeds} models from the same start, on the same batches, in one vectorized pass.")
x_axis = st.radio("x axis", ["epoch", "samples", "time"], horizontal=True, key="sch_x",
                  format_func={"epoch": "epochs", "samples": "samples seen", "time": "wall-clock seconds"}.get)
panel = live.LivePanel("sched")
panel.controls(panel.starter(S.run, config) if config else None, label="Train", disabled_reason=train_problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or DEFAULTS)
    by = frames.by_run(records)
    if not by:
        st.caption("Press **Train**; curves appear after the first report.")
        return
    live.reports_caption(by, help="one report per model per epoch, more on large sets")
    st.dataframe(S.scoreboard(records), hide_index=True, width="stretch", column_config={
        "best val accuracy": st.column_config.NumberColumn(format="percent"),
        "final val accuracy": st.column_config.NumberColumn(format="percent"),
        "final val loss": st.column_config.NumberColumn(format="%.4f"),
        "final lr": st.column_config.NumberColumn(format="%.3g")})
    titles = {"epoch": "epoch", "samples": "samples seen", "time": "wall-clock seconds"}
    st.vega_lite_chart(spec=charts.schedule_race(
        S.race_curves(records, x=x_axis), names=[label(n) for n in cfg.schedules], x_title=titles[x_axis],
        x_max=cfg.epochs if x_axis == "epoch" else None))


panel.show(draw)
