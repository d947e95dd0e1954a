"""Learning-rate sweep: each optimizer across a range of rates and seeds, compared at its best."""
import streamlit as st

from core import cluster, jobs, labs, sweep
from core.config import changed
from core.labs.lr_sweep import charts, tables
from core.labs.lr_sweep.config import View
from core.labs.lr_sweep.run import race_at_best
from ui import live, present
from ui.charts import chart
from ui.form import open_lab

form = open_lab("lr_sweep", "Learning-rate sweep", (
    "A race at one learning rate is unfair to some optimizer: at 0.05 Adam fails where SGD does well, and at "
    "0.001 the reverse. Here every optimizer trains across a range of rates, several seeds each, and is judged "
    "at its best. The ◆ marks each optimizer's best rate on the mean over seeds; the bar under it spans the "
    "rates whose mean accuracy is within one point of that best, and its width in decades says how touchy the "
    "optimizer is about its rate. The cells train on the race engine, many at once in one vectorized pass, or "
    "as Ray tasks when the server has a cluster."
))
LAB = form.lab
RACE = labs.get("optimizer_race")


def settings() -> tuple[object, str | None]:
    """The sweep's settings; (config, None) or (None, what is wrong)."""
    form.presets()
    with form.box():
        form.widget("optimizers")
        rates = st.columns(4)
        for col, name in zip(rates, ("lr_lo", "lr_hi", "points", "seeds")):
            form.widget(name, col)
        net = st.columns(6)
        for col, name in zip(net, ("depth", "width", "activation", "init", "batch_size", "epochs")):
            form.widget(name, col)
    view_cols = st.columns(2)
    for col, name in zip(view_cols, ("metric", "band")):
        form.widget(name, col)
    config, problem = form.check(empty="optimizers", message="Pick at least one optimizer.")
    form.sync()
    if config is not None:
        cells = config.grid().cells
        st.caption(f"{cells:,} cells: {len(config.optimizers)} optimizers × {config.points} rates × {config.seeds} "
                   f"seeds, each {config.epochs} epochs ({cells * config.epochs:,} cell-epochs; this server takes "
                   f"up to {sweep.limits()[0]:,} cells and {sweep.limits()[1]:,} cell-epochs).")
    return config, problem


def where_it_runs() -> None:
    """Where sweeps go: this process, or Ray with its workers and GPUs; the button that starts a
    local Ray instance where the server allows it. Ray is imported only once it is in use."""
    if cluster.connected():
        st.caption(f"🛰️ Sweeps run on {cluster.info().describe()}; results stream back as each chunk ends.")
    elif cluster.address():
        st.caption(f"🛰️ Sweeps run on the Ray cluster at {cluster.address()} (joined at the first sweep).")
    elif cluster.local_allowed() and cluster.installed():
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.caption("Sweeps run in this process. This server lets you start a local Ray instance instead: its "
                     "workers train chunks side by side, one CPU each.")
        if button.button("Start local Ray", help="a Ray instance on this machine, dashboard and usage reporting off"):
            with st.spinner("Starting Ray…"):
                try:
                    cluster.connect()
                except Exception as exc:  # Ray's own start-up errors: said, and the sweep stays in process
                    st.error(f"Ray did not start: {exc}")
                    return
            st.rerun()
    else:
        st.caption("Sweeps run in this process, on the race engine. (On a server with $RAY_ADDRESS set, they "
                   "run on that Ray cluster.)")


config, problem = settings()
view = View(**form.values(View))
where_it_runs()

panel = live.LivePanel("sweep", verb="Sweeping")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Sweep", disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    cells = tables.progress(records)
    if cells is None:
        st.caption("Press **Sweep** to start; each rate's point appears as its cells start, and moves as they train.")
        return
    st.caption(f"{cells[0]:,} of {cells[1]:,} cells ended, in {tables.where(records)}. While the others train, "
               "their points show their accuracy so far.")
    board = tables.leaderboard(records)
    if not board.empty:
        st.dataframe(board, hide_index=True, width="stretch", column_config={
            "best rate": st.column_config.NumberColumn(format="%.3g"),
            "mean accuracy": st.column_config.NumberColumn(format="percent"),
            "good from": st.column_config.NumberColumn(format="%.3g"),
            "good to": st.column_config.NumberColumn(format="%.3g"),
            "width (decades)": st.column_config.NumberColumn(
                format="%.2f", help="how far the rate can move and keep the mean accuracy within a point of the "
                                    "best: wide is forgiving, narrow is touchy (a lower bound at the grid's edge)")})
    names = [tables.label(n) for n in cfg.optimizers]
    chart(charts.sweep_chart(tables.curves(records, metric=view.metric, band=view.band),
                             tables.markers(records, metric=view.metric), metric=view.metric, lo=cfg.lr_lo,
                             hi=cfg.lr_hi, optimizers=names))


panel.show(draw, export=(LAB.name, LAB.table))


def race_button() -> None:
    """Once a sweep has ended: the race of its optimizers, each at its best rate, on the race page."""
    job = panel.job
    if job is None or not job.is_terminal:
        return
    records = job.snapshot()
    if not tables.best_rates(records):
        return
    if st.button("Race them at their best rates", icon="🏁",
                 help="the optimizer race of these optimizers, each at the rate this sweep found best, on the "
                      "same network, data, batches, epochs and seeds"):
        race = race_at_best(panel.job_config(LAB.config()), records)
        try:
            live.LivePanel("race").start(RACE.run, race)
        except jobs.QueueFull as exc:
            st.warning(f"The server is busy: {exc}.")
            return
        st.switch_page(RACE.screen_file, query_params={**changed(race), **present.params()})


race_button()
