"""Optimizer race: optimizers side by side, same start, same batches, several seeds, live."""
import streamlit as st

from core import optim
from core.labs.optimizer_race import charts, tables
from core.labs.optimizer_race.config import CLASSIC, View, own_defaults, parse_settings
from core.labs.optimizer_race.run import path
from ui import live
from ui.charts import chart
from ui.form import open_lab

form = open_lab("optimizer_race", "Optimizer race", (
    "Every optimizer starts from the same weights (per seed) and sees the same batches in the same "
    "order, so the only difference is the update rule. All the models train together in one "
    "vectorized pass: a race of nine optimizers costs far less than nine runs. With several seeds "
    "you see the mean and the spread; a model that diverges drops out where it diverged."
))
LAB = form.lab


def sources(names: list[str]) -> str:
    by = {}
    for n in names:
        by.setdefault(optim.get(n).source, []).append(optim.get(n).label)
    return ". ".join(f"{src}: {', '.join(labels)}" for src, labels in by.items())


def settings() -> tuple[object, str | None]:
    """The race's settings and how it is drawn; (config, None) or (None, what is wrong)."""
    form.presets()
    with form.box():
        top = st.columns([3, 2, 1.6], vertical_alignment="bottom")
        opts = form.widget("optimizers", top[0], help=sources(optim.names()))
        mode = form.widget("lr_mode", top[1])
        form.widget("lr", top[2], disabled=mode == "usual")
        net = st.columns(5)
        for col, name in zip(net, ("depth", "width", "activation", "init", "norm")):
            form.widget(name, col)
        row = st.columns(3)
        for col, name in zip(row, ("batch_size", "epochs", "seeds")):
            form.widget(name, col)
        with st.expander("Each optimizer's own settings"):
            st.caption("Learning rate, weight decay (AdamW's is decoupled, PyTorch's 0.01 by default) and the "
                       "optimizer's own settings; tuples such as betas are written 0.9;0.999.")
            form.item_settings("settings", list(opts), lambda n: own_defaults(n, mode, form.value("lr")),
                               parse_settings,
                               item_label=lambda n: optim.get(n).label)

    view_cols = st.columns(3)
    for col, name in zip(view_cols, ("x", "band", "target")):
        form.widget(name, col)
    config, problem = form.check(empty="optimizers", message="Pick at least one optimizer.")
    form.sync()
    if config is not None:
        models = len(config.optimizers) * config.seeds
        st.caption(f"{models} models, trained in one vectorized pass." if path(config) == "vectorized" else
                   f"{models} models, trained one after another: normalization layers keep per-model running "
                   "statistics and Hessian-based optimizers need a second-order backward, neither of which stacks.")
    return config, problem


config, problem = settings()
view = View(**form.values(View))

panel = live.LivePanel("race")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Race", disabled_reason=problem)

ADAPTIVE_NOTE = (
    "At 0.05 for all, the adaptive methods (RMSProp, Adam, Adamax, NAdam, AdamW) typically struggle or "
    "diverge: they divide each gradient by a running estimate of its size, so every weight moves by about "
    "the learning rate at every step whatever its gradient, and 0.05 is 50 times their usual 0.001. "
    "SGD's step scales with the gradient instead, and AdaGrad's accumulated squares keep shrinking its steps.")


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    if cfg.lr_mode == "same" and cfg.lr >= 0.01 and set(CLASSIC) <= set(cfg.optimizers):
        st.info(ADAPTIVE_NOTE)
    board = tables.leaderboard(records, target=view.target)
    st.dataframe(board, hide_index=True, width="stretch", column_config={
        "best val accuracy": st.column_config.NumberColumn(format="percent"),
        "final train loss": st.column_config.NumberColumn(format="%.4f"),
        f"epoch to {view.target:.0%}": st.column_config.NumberColumn(format="%.2f"),
        f"samples to {view.target:.0%}": st.column_config.NumberColumn(format="%d")})
    st.caption("Every model trains in the same pass, so the race has one clock: the x axis can show seconds, "
               "the leaderboard counts epochs and samples.")
    names = [e.name for e in cfg.entrants()]
    chart(charts.race_curves(
        tables.curves(records, x=view.x, band=view.band), tables.divergences(records, x=view.x),
        x_title=tables.X_AXES[view.x], entrants=names, x_max=cfg.epochs if view.x == "epoch" else None))


panel.show(draw, empty="Press **Race** to start; curves appear after the first report.",
           reports="one report per model per epoch, more on large sets",
           export=(LAB.name, LAB.table))
