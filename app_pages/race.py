"""Optimizer race: optimizers side by side, same start, same batches, several seeds, live."""
import pandas as pd
import streamlit as st

from core import activations, charts, data, frames, init, optim
from core.experiments import base
from core.experiments import optimizer_race as R
from core.models import NORMS
from ui import live, query, sidebar

DEFAULTS = R.Config()
LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
BATCHES = [8, 16, 32, 64, 128, 256, 512, 1024]
LR_MODES = {"usual": "each at its usual rate", "same": "one rate for all"}

st.title("Optimizer race")
st.write(
    "Every optimizer starts from the same weights (per seed) and sees the same batches in the same "
    "order, so the only difference is the update rule. All the models train together in one "
    "vectorized pass: a race of nine optimizers costs far less than nine runs. With several seeds "
    "you see the mean and the spread; a model that diverges drops out where it diverged."
)
shared = sidebar.shared_controls()
for key, value in {"race_opts": list(DEFAULTS.optimizers), "race_lr_mode": DEFAULTS.lr_mode, "race_lr": DEFAULTS.lr,
                   "race_depth": DEFAULTS.depth, "race_width": DEFAULTS.width, "race_act": DEFAULTS.activation,
                   "race_init": DEFAULTS.init, "race_norm": DEFAULTS.norm, "race_batch": DEFAULTS.batch_size,
                   "race_epochs": DEFAULTS.epochs, "race_seeds": DEFAULTS.seeds}.items():
    st.session_state.setdefault(key, value)
query.prefill(R.Config, {"optimizers": "race_opts", "lr_mode": "race_lr_mode", "lr": "race_lr", "depth": "race_depth",
                         "width": "race_width", "batch_size": "race_batch", "epochs": "race_epochs",
                         "seeds": "race_seeds"})


def chapter_preset() -> None:
    """The textbook chapter's experiment: nine classic optimizers at 0.05 on a 3×100 ReLU He MLP."""
    st.session_state.update(race_opts=list(R.CLASSIC), race_lr_mode="same", race_lr=0.05, race_depth=3,
                            race_width=100, race_act="relu", race_init="he_normal", race_norm="none",
                            race_batch=32, race_epochs=10, race_chapter=True)
    name = "fashion-mnist" if data.is_cached("fashion-mnist") else "digits"
    st.session_state["dataset"] = st.session_state["_keep_dataset"] = name


with st.container(border=True):
    top = st.columns([3, 2, 1.6, 1.8], vertical_alignment="bottom")
    opts = top[0].multiselect("Optimizers", optim.names(), key="race_opts", max_selections=16,
                              format_func=lambda n: optim.get(n).label,
                              help="torch.optim: " + ", ".join(optim.get(n).label for n in optim.names()
                                                               if optim.get(n).source == optim.TORCH)
                                   + ". pytorch-optimizer: " + ", ".join(optim.get(n).label for n in optim.names()
                                                                         if optim.get(n).source != optim.TORCH))
    mode = top[1].radio("Learning rates", list(LR_MODES), key="race_lr_mode", format_func=LR_MODES.get,
                        horizontal=True)
    lr = top[2].select_slider("Rate for all", sorted(set(LRS) | {st.session_state.race_lr}), key="race_lr",
                              format_func=lambda v: f"{v:g}", disabled=mode == "usual")
    top[3].button("The chapter's experiment", on_click=chapter_preset, key="race_chapter_btn",
                  help="3×100 ReLU He MLP, batch 32, lr 0.05 for all nine classic optimizers, 10 epochs, "
                       "on Fashion-MNIST when it is cached, else digits")
    net = st.columns(5)
    depth = net[0].slider("Depth", *base.limits(R.Config, "depth"), key="race_depth")
    width = net[1].select_slider("Width", sorted({16, 32, 64, 100, 128, 256, 512} | {st.session_state.race_width}),
                                 key="race_width")
    act = net[2].selectbox("Activation", activations.names(), key="race_act",
                           format_func=lambda n: activations.get(n).label)
    ini = net[3].selectbox("Initializer", init.names(), key="race_init", format_func=lambda n: init.get(n).label)
    norm = net[4].selectbox("Normalization", NORMS, key="race_norm")
    run_row = st.columns(3)
    batch = run_row[0].select_slider("Batch size", sorted(set(BATCHES) | {st.session_state.race_batch}),
                                     key="race_batch")
    epochs = run_row[1].slider("Epochs", *base.limits(R.Config, "epochs"), key="race_epochs")
    seeds = run_row[2].slider("Seeds", *base.limits(R.Config, "seeds"), key="race_seeds")
    with st.expander("Each optimizer's own settings"):
        st.caption("Edit a value to change it for that optimizer; tuples such as betas are written 0.9;0.999.")
        rows = []
        for name in opts:
            spec = optim.get(name)
            own = {"lr": spec.usual_lr if mode == "usual" else lr, "weight_decay": 0.0, **spec.editable}
            for key, value in own.items():
                text = ";".join(f"{v:g}" for v in value) if isinstance(value, tuple) else (
                    str(value) if isinstance(value, bool) else f"{value:g}")
                rows.append({"optimizer": name, "setting": key, "value": text, "default": text})
        edited = st.data_editor(pd.DataFrame(rows, columns=["optimizer", "setting", "value", "default"]),
                                key=f"race_settings_{'_'.join(opts)}_{mode}_{lr}", hide_index=True,
                                disabled=["optimizer", "setting", "default"], width="stretch")
settings = tuple(f"{r.optimizer}:{r.setting}={r.value}" for r in edited.itertuples() if r.value != r.default)

view = st.columns([2, 2, 2])
x_axis = view[0].radio("x axis", list(R.X_AXES), format_func=R.X_AXES.get, horizontal=True, key="race_x")
band = view[1].radio("Band over seeds", R.BANDS, format_func=lambda b: {"min-max": "min–max", "std": "± one std"}[b],
                     horizontal=True, key="race_band")
target = view[2].slider("Target accuracy (leaderboard)", 0.5, 0.99, 0.9, 0.01, key="race_target", format="%.2f")

config, problem = None, None
try:
    config = R.Config(optimizers=tuple(opts), lr_mode=mode, lr=float(lr), dataset=shared.dataset, depth=depth,
                      width=width, activation=act, init=ini, norm=norm, batch_size=batch, epochs=epochs,
                      seeds=seeds, settings=settings, seed=shared.seed, device=shared.device)
except ValueError as exc:
    problem = "Pick at least one optimizer." if not opts else str(exc)
    st.warning(problem)
if config is not None:
    models = len(config.optimizers) * config.seeds
    st.caption(f"{models} models, trained in one vectorized pass." if R.path(config) == "vectorized" else
               f"{models} models, trained one after another: normalization layers keep per-model running "
               "statistics and Hessian-based optimizers need a second-order backward, neither of which stacks.")

panel = live.LivePanel("race")
panel.controls(panel.starter(R.run, config) if config else None, label="Race", disabled_reason=problem)

ADAPTIVE_NOTE = (
    "At 0.05 for all, the adaptive methods (RMSProp, Adam, Adamax, NAdam, AdamW) typically struggle or "
    "diverge: they divide each gradient by a running estimate of its size, so every weight moves by about "
    "the learning rate at every step whatever its gradient, and 0.05 is 50 times their usual 0.001. "
    "SGD's step scales with the gradient instead, and AdaGrad's accumulated squares keep shrinking its steps.")


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or DEFAULTS)
    by = frames.by_run(records)
    if not by:
        st.caption("Press **Race** to start; curves appear after the first report.")
        return
    live.reports_caption(by, help="one report per model per epoch, more on large sets")
    if cfg.lr_mode == "same" and cfg.lr >= 0.01 and set(R.CLASSIC) <= set(cfg.optimizers):
        st.info(ADAPTIVE_NOTE)
    board = R.leaderboard(records, target=target)
    st.dataframe(board, hide_index=True, width="stretch", column_config={
        "best val accuracy": st.column_config.NumberColumn(format="percent"),
        "final train loss": st.column_config.NumberColumn(format="%.4f"),
        f"epoch to {target:.0%}": st.column_config.NumberColumn(format="%.2f"),
        f"seconds to {target:.0%}": st.column_config.NumberColumn(format="%.1f")})
    names = [e.name for e in cfg.entrants()]
    st.vega_lite_chart(spec=charts.race_curves(
        R.curves(records, x=x_axis, band=band), R.divergences(records, x=x_axis), x_title=R.X_AXES[x_axis],
        entrants=names, x_max=cfg.epochs if x_axis == "epoch" else None))


panel.show(draw)
