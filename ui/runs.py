"""The session's runs (core.history) on screen: one store for the run history page and for a lab's
run table, where every run a lab trained for this visitor is ticked to overlay."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.history import Line, RunTable

SLOT = "_runs"  # session slot holding the RunTable


def session_runs() -> RunTable:
    """This session's runs (one table for every lab)."""
    if SLOT not in st.session_state:
        st.session_state[SLOT] = RunTable()
    return st.session_state[SLOT]


def editor(lab: str, entries: list[Line], summary: pd.DataFrame, *, columns: dict[str, Any] | None = None) -> None:
    """The lab's runs as a table with a tick per run (overlay it or not) and a button to clear
    them. `summary`: one row per run label (the column "run") with what the table shows of it."""
    runs = session_runs()
    state = f"{lab}.runs.version"
    version = st.session_state.setdefault(state, 0)
    key = f"{lab}.runs.table.{version}"  # a new key after each edit: the edit is applied once, then forgotten
    labels = [e.label for e in entries]

    def apply() -> None:
        edits = st.session_state.get(key, {}).get("edited_rows", {})
        shown = {label for label, e in zip(labels, entries) if e.shown}
        for row, change in edits.items():
            if "show" in change and int(row) < len(labels):
                (shown.add if change["show"] else shown.discard)(labels[int(row)])
        runs.show(lab, shown)
        st.session_state[state] = version + 1

    df = pd.DataFrame({"show": [e.shown for e in entries], "run": labels,
                       "configuration": [e.config for e in entries]})
    df = df.merge(summary.drop(columns=["configuration"], errors="ignore"), on="run", how="left")
    st.data_editor(df, key=key, on_change=apply, hide_index=True, width="stretch",
                   disabled=[c for c in df.columns if c != "show"],
                   column_config={"show": st.column_config.CheckboxColumn("overlay", help="draw this run on the charts"),
                                  **(columns or {})})
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Overlay all", key=f"{lab}.runs.all"):
        runs.show(lab, set(labels))
        st.session_state[state] = version + 1
        st.rerun(scope="fragment")
    if right.button("Clear the table", key=f"{lab}.runs.clear",
                    help="forget every run of this lab in this session, in the run history too"):
        runs.clear(lab)
        st.session_state[state] = version + 1
        st.rerun(scope="fragment")
