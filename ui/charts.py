"""Charts on screen, and their export: every chart a live panel draws can be downloaded, once its
job has ended, as PNG or SVG rendered on the server from the same Vega-Lite spec (core.export);
a view drawn outside a panel offers the same row (`exports`) once its result is final."""
from __future__ import annotations

import contextlib
import re
import threading
from typing import Any, Callable, Iterator

import pandas as pd
import streamlit as st

from core import export

_local = threading.local()  # each session's script runs in a thread of its own


def chart(spec: dict, **kwargs: Any) -> Any:
    """st.vega_lite_chart(spec=spec, **kwargs), remembered for export while a panel collects."""
    drawn = getattr(_local, "drawn", None)
    if drawn is not None:
        drawn.append(spec)
    return st.vega_lite_chart(spec=spec, **kwargs)


@contextlib.contextmanager
def collect() -> Iterator[list[dict]]:
    """The specs of the charts drawn within."""
    before, _local.drawn = getattr(_local, "drawn", None), []
    try:
        yield _local.drawn
    finally:
        _local.drawn = before


def _file(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "chart"


def export_menu(name: str, specs: list[dict], key: str) -> None:
    """A menu with a PNG and an SVG button per chart, each rendered when pressed."""
    with st.popover("Export charts", help="PNG (2× pixels) or SVG of each chart above, drawn with the app's theme"):
        for i, spec in enumerate(specs):
            title = export.chart_title(spec, f"chart {i + 1}")
            stem = f"{name}-{_file(title)}"
            left, mid, right = st.columns([4, 1, 1], vertical_alignment="center")
            left.caption(title)
            mid.download_button("PNG", data=lambda s=spec: export.chart_png(s), file_name=f"{stem}.png",
                                mime="image/png", on_click="ignore", key=f"{key}_png_{i}")
            right.download_button("SVG", data=lambda s=spec: export.chart_svg(s), file_name=f"{stem}.svg",
                                  mime="image/svg+xml", on_click="ignore", key=f"{key}_svg_{i}")


def csv_button(file_name: str, data: Callable[[], str], key: str, help: str | None = None) -> None:
    """Download CSV, the file made when pressed: `data` runs in a thread of Streamlit's own, so no st.* there."""
    st.download_button("Download CSV", data=data, file_name=file_name, mime="text/csv", on_click="ignore",
                       key=key, help=help)


def no_script_note(detail: str | None = None, reason: str = "it is not a training run") -> None:
    """One line beside a view's export buttons: no standalone script is offered for it, and why;
    `detail` (what the view is instead) as its help, so the line stays one line."""
    st.caption(f"No standalone script for this view: {reason}.", help=detail)


def exports(name: str, table: Callable[[], pd.DataFrame], specs: list[dict], key: str, *,
            no_script: str | None = None, help: str | None = None) -> None:
    """The export row of a view drawn outside a live panel, for when its result is final: its
    table as CSV (`name`.csv) and its charts (`specs`, from `collect`) as PNG or SVG, each made
    when pressed; with `no_script` (what the view is, not being a training run), a line beside
    them saying that no standalone script is offered for it."""
    left, mid, right = st.columns([1, 1, 3], vertical_alignment="center")
    with left:
        csv_button(f"{name}.csv", lambda: table().to_csv(index=False), key=f"{key}_csv", help=help)
    if specs:
        with mid:
            export_menu(name, specs, key=f"{key}_charts")
    if no_script:
        with right:
            no_script_note(no_script)
