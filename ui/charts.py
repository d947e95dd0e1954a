"""Charts on screen, and their export: every chart a live panel draws can be downloaded, once its
job has ended, as PNG or SVG rendered on the server from the same Vega-Lite spec (core.export)."""
from __future__ import annotations

import contextlib
import re
import threading
from typing import Any, Iterator

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
