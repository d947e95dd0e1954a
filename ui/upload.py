"""Bring your own data on screen: the sidebar's dataset select offering this session's uploads,
and under it, for a lab that takes tabular data, a CSV uploader with the label column and what
to do with missing values. Reading and checking the file is core/upload.py's.

An uploaded set is its session's alone: the select offers only the sets this session uploaded,
and a link naming another (`dataset=upload:<hash>`) restores its other settings and asks for
the file. A refused file changes nothing but the message under the uploader.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from core import data
from core import upload as csv_upload
from core.labs.fields import takes_uploads

if TYPE_CHECKING:
    from ui.form import Form

MINE = "_uploads"  # session slot: dataset name -> {"file", "label", "missing"} of this session's uploads
ASKED = "_upload_asked"  # session slot: the upload a link named and this session lacks
FILE, LABEL, MISSING, USE = "upload.file", "upload.label", "upload.missing", "upload.use"
READ = "upload.read"  # (file id, its columns or why it cannot be read): the file is read once
SAID = "upload.said"  # (kind, text): what the last "Use as dataset" press answered
KEEP = 8  # uploads a session remembers; the oldest is forgotten
CHOICES = {"drop": "Drop those rows", "refuse": "Refuse the file"}
WIDGET_MB = -(-csv_upload.MAX_BYTES // 2**20)  # the browser's own limit, just above ours: ours says why


def mine() -> dict[str, dict[str, str]]:
    return st.session_state.setdefault(MINE, {})


def claim(name: str) -> None:
    """A link's dataset: raise ValueError, asking for the file, for an upload not this session's."""
    if data.is_upload(name) and name not in mine():
        st.session_state[ASKED] = name
        raise ValueError("it is a CSV uploaded in another visit, and an uploaded set stays with the visit that "
                         "uploaded it. Upload the file under \"Your own data\" in the sidebar, with the same label "
                         "column and missing-value choice, to train on it; the link's other settings are restored.")


def dataset_select(form: "Form") -> None:
    """The sidebar's dataset select; where the lab takes tabular data, with this session's uploads
    among its options (named as their files) and the uploader under it."""
    f = form.fields["dataset"]
    if not takes_uploads(f):
        form.widget("dataset")
        return
    held = {n: m for n, m in mine().items() if data.HELD.get(n) is not None}
    chosen = form.value("dataset")
    if data.is_upload(chosen) and chosen not in held:  # dropped for newer uploads, or another visit's
        st.warning(f"{mine()[chosen]['file']} is no longer held by the server: upload it again." if chosen in mine()
                   else "The dataset was a CSV uploaded in another visit: upload the file to train on it.")
        st.session_state[ASKED] = chosen
        form.set(dataset="digits")  # until then: the page is never left on a set it cannot load
    form.widget("dataset", options=[*data.names(), *held],
                fmt=lambda n: f"{held[n]['file']} (uploaded)" if n in held else data.display_label(n))
    panel(form)


def panel(form: "Form") -> None:
    """The uploader, the label column and the missing-value choice, and the button that makes the
    file this session's dataset."""
    asked = st.session_state.get(ASKED)
    with st.expander("Your own data (CSV)", expanded=bool(asked) or data.is_upload(form.value("dataset"))):
        if asked:
            st.info("Upload the CSV here to train on it: the same file, label column and missing-value choice "
                    "make the same dataset.")
        st.caption(f"One row per example: pick the column holding the class; the other numeric columns are the "
                   f"features. Up to {csv_upload.MAX_BYTES / 1e6:g} MB and {csv_upload.MAX_COLUMNS} columns, "
                   f"{csv_upload.MIN_CLASSES} to {csv_upload.MAX_CLASSES} classes. Only this visit can use it.")
        file = st.file_uploader("CSV file", type=["csv", "tsv", "txt"], key=FILE, max_upload_size=WIDGET_MB,
                                on_change=lambda: st.session_state.pop(SAID, None))
        if file is not None:
            columns = _columns(file)
            if isinstance(columns, str):
                st.error(columns)
            else:
                st.selectbox("Label column", columns, key=LABEL, help="the column holding each row's class")
                st.radio("Rows with a missing value", list(CHOICES), key=MISSING, format_func=CHOICES.get,
                         horizontal=True)
                st.button("Use as dataset", key=USE, type="primary", on_click=_use, args=(form,))
        if st.session_state.get(SAID):
            kind, text, *notes = st.session_state[SAID]
            getattr(st, kind)(text)
            for note in notes:
                st.caption(note)


def _columns(file: Any) -> list[str] | str:
    """The file's columns (the label's choices), or why it cannot be read: once per file."""
    read = st.session_state.get(READ)
    if read is None or read[0] != file.file_id:
        try:
            columns: list[str] | str = list(csv_upload.read(file.getvalue()).columns)
            st.session_state[LABEL] = columns[-1]  # the usual place of the label
        except csv_upload.UploadError as exc:
            columns = str(exc)
        read = st.session_state[READ] = (file.file_id, columns)
    return read[1]


def _use(form: "Form") -> None:
    """The button's callback (before the page is drawn, so the dataset select shows the new set)."""
    file, label, missing = (st.session_state.get(k) for k in (FILE, LABEL, MISSING))
    if file is None:
        return
    try:
        name, table = csv_upload.register(file.getvalue(), label=label, missing=missing or "drop", filename=file.name)
    except csv_upload.UploadError as exc:
        st.session_state[SAID] = ("error", str(exc))
        return
    own = mine()
    own.pop(name, None)
    own[name] = {"file": table.label, "label": label, "missing": missing}
    for old in list(own)[:-KEEP]:
        del own[old]
    form.set(dataset=name)
    found = " It is the file the link named." if st.session_state.pop(ASKED, None) == name else ""
    st.session_state[SAID] = ("success", f"Chosen: {table.label}, {table.summary}.{found}", *table.notes)
