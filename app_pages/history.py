"""Run history: every run of this session, in every lab. Reopen one in its lab, compare runs of a
lab on one chart, export them, delete them; download the history and load it in another session."""
import pandas as pd
import streamlit as st

from core import history, history_file, labs
from core.charts import learning_curves
from ui import charts, live, present
from ui.charts import chart
from ui.runs import session_runs

PICK = "history.pick"  # the runs chosen (their numbers)
SAID = "history.said"  # what the last upload answered: (kind, text)
UPLOAD = "history.upload"
STATUS = {**live.STATUS_ICON, "failed": "❌"}
OPEN_AT_ONCE = 4  # "open in its lab" buttons offered for the runs chosen

head, switch = st.columns([4, 1], vertical_alignment="center")
head.title("Run history")
present.switch(switch)
st.write(
    "Every run you started in this session, in every lab, once it has ended: its settings, how it ended and its "
    "key result. Choose runs to open one again in its lab (its own charts, as when it finished), to compare runs "
    "of a lab on one chart, or to export or delete them. Download the history to keep it, and load it in another "
    "session."
)
runs = session_runs()
for notice in runs.settle():
    st.toast(notice)


def listing(entries: list[history.Entry]) -> None:
    rows = [{"#": e.n, "lab": f"{labs.get(e.lab).icon} {e.title}", "key result": e.headline,
             "status": f"{STATUS.get(e.job.status, '')} {e.job.status}", "finished": history.when(e.job.finished),
             "settings": e.changed(), "trained weights": e.weights(), "records": e.nbytes / 1024,
             "from": "a file" if e.loaded else "this session"} for e in entries]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "#": st.column_config.NumberColumn(format="#%d", width=40),
        "key result": st.column_config.TextColumn(width="large", help="the lab's headline of the run"),
        "settings": st.column_config.TextColumn(width="medium",
                                                help="the settings that differ from the defaults, as in a link"),
        "trained weights": st.column_config.TextColumn(
            help="Views that need the trained network (MC dropout, the landscape views) open while the server "
                 "still holds it; afterwards, and for runs loaded from a file, the run must be run again for them."),
        "records": st.column_config.NumberColumn(format="%.0f kB", help="the records' size, as in the history file")})
    held = runs.nbytes()
    st.caption(f"{len(entries)} run{'s' * (len(entries) != 1)}, {held / 1024:.0f} kB of records of the {history.MAX_BYTES / 2**20:g} MB a "
               f"session keeps, at most {history.MAX_RUNS} runs per lab: past either, the oldest runs are dropped.")
    for notice in runs.dropped:
        st.caption(f"⚠️ {notice}")


def chosen(entries: list[history.Entry]) -> list[history.Entry]:
    by = {e.n: e for e in entries}
    st.session_state[PICK] = [n for n in st.session_state.get(PICK, []) if n in by]  # deleted ones leave
    picked = st.multiselect("Runs", list(by), key=PICK, placeholder="Choose runs to compare, open, export or delete",
                            format_func=lambda n: f"#{n} {by[n].title}: {by[n].changed()}"[:90])
    return [by[n] for n in picked]


def actions(picked: list[history.Entry]) -> None:
    """Open a run in its lab, or delete the runs chosen."""
    cols = st.columns([1] * min(len(picked), OPEN_AT_ONCE) + [1, max(1, 4 - len(picked))])
    for col, e in zip(cols, picked[:OPEN_AT_ONCE]):
        if col.button(f"Open #{e.n} in its lab", key=f"history.open.{e.n}",
                      help=f"{e.title} with this run's settings, drawing this run with its own charts"):
            live.reopen(e.panel, e.job)
            st.switch_page(labs.get(e.lab).screen_file, query_params={**e.settings, **present.params()})
    if cols[-2].button("Delete", key="history.delete", help="forget the runs chosen"):
        runs.remove(picked)
        st.rerun()


def comparison(picked: list[history.Entry], train: bool) -> None:
    """Per lab (and part) among the runs chosen: their learning curves on one chart, the CSV of
    their records and the chart as PNG or SVG."""
    groups: dict[tuple[str, str], list[history.Entry]] = {}
    for e in picked:
        groups.setdefault((e.lab, e.part), []).append(e)
    for (lab, part), group in groups.items():
        st.subheader(f"{labs.get(lab).icon} {group[0].title}: " + ", ".join(f"#{e.n}" for e in group))
        curves, status, names, epochs = history.compare(group, train=train)
        drawn = []
        if curves.empty:
            st.caption("These runs have no learning curves (loss and accuracy against epoch) to draw; their records "
                       "are in the CSV.")
        else:
            with charts.collect() as drawn:
                chart(learning_curves(curves, epochs=epochs, runs=names, status=status))
            st.caption("Each run is named by its number in the history and its label within its job. "
                       + ("Solid: validation; dashed: train." if train else "Validation figures."))
        name = f"history-{lab}" + (f"-{part}" if part else "")
        left, right, _ = st.columns([1, 1, 3])
        left.download_button("Download CSV", data=lambda g=group: history.table(g).to_csv(index=False),
                             file_name=f"{name}.csv", mime="text/csv", on_click="ignore", key=f"history.csv.{lab}.{part}",
                             help="every report of these runs as a row, with the history's number of each run")
        if drawn:
            with right:
                charts.export_menu(name, drawn, key=f"history.charts.{lab}.{part}")


def upload() -> None:
    """The uploader's callback: load the file's runs, all of them or none."""
    file = st.session_state.get(UPLOAD)
    if file is None:
        return
    try:
        loaded = history_file.load(file.getvalue())
    except history_file.HistoryFileError as exc:
        st.session_state[SAID] = ("error", f"{file.name} was not loaded, nothing from it was kept. {exc}")
        return
    for job, panel in loaded:
        runs.adopt(job, panel)
    dropped = runs.settle()
    st.session_state[SAID] = ("success", f"Loaded {len(loaded)} runs from {file.name}." + "".join(f" {n}" for n in dropped))


def keeping(entries: list[history.Entry]) -> None:
    st.subheader("Keep the history")
    left, right = st.columns(2)
    with left:
        st.download_button("Download the history (JSON)", data=lambda: history_file.dump(runs.finished()),
                           file_name="run-history.json", mime="application/json", on_click="ignore",
                           disabled=not entries, key="history.download",
                           help="every run above with its settings and records, to load in another session")
        if st.button("Clear the history", key="history.clear", disabled=not entries, help="forget every run above"):
            runs.clear()
            st.rerun()
    with right:
        st.file_uploader("Load a history file", type=["json"], key=UPLOAD, on_change=upload,
                         help=f"A file downloaded here (at most {history_file.MAX_FILE_BYTES / 2**20:g} MB). It is "
                              "checked whole before anything is loaded.")
        if st.session_state.get(SAID):
            kind, text = st.session_state[SAID]
            getattr(st, kind)(text)


entries = runs.finished()
training = len(runs.entries) - len(entries)
if training:
    st.caption(f"⏳ {training} run{'s' if training > 1 else ''} still training: each joins the list when it ends.")
if not entries:
    st.info("No run has ended in this session yet: run any lab, or load a history file below.")
else:
    listing(entries)
    picked = chosen(entries)
    if picked:
        actions(picked)
        train = st.toggle("Train curves too", key="history.train", help="dashed: the train split's figures")
        comparison(picked, train)
keeping(entries)
