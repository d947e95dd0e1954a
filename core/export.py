"""Records out of the app: one CSV row per report per run, from the page and the command line.

A lab's `table` turns its records into rows; runs of several configs (jobs) are stacked with
the settings that differ between them as columns, written in the config grammar, so each row
says how it was made and a column that would repeat one value in every row is left out.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from core import config as C
from core.charts import PALETTE

Table = Callable[[list[dict]], pd.DataFrame]


def table(rows: Table, runs: list[tuple[Any, list[dict]]]) -> pd.DataFrame:
    """rows(records) for every (config, records), stacked; the settings whose values differ
    between the configs come first, as text (None configs count as having no settings)."""
    settings = [C.to_strings(config) if config is not None else {} for config, _ in runs]
    names = list(dict.fromkeys(k for s in settings for k in s))
    varying = [k for k in names if len({s.get(k) for s in settings}) > 1]
    parts = []
    for (config, records), values in zip(runs, settings):
        df = rows(records)
        if "run" in df.columns:  # which run a row belongs to, first
            df = df[["run", *(c for c in df.columns if c != "run")]]
        for i, k in enumerate(varying):  # a setting named like a column of the records keeps both
            df.insert(i, f"setting {k}" if k in df.columns else k, values.get(k))
        parts.append(df)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def csv_text(rows: Table, runs: list[tuple[Any, list[dict]]]) -> str:
    return table(rows, runs).to_csv(index=False)


# --- charts -------------------------------------------------------------------------------

# Streamlit's light theme for Vega-Lite, as the page draws charts: its font, greys and grid, on white.
THEME = {
    "background": "#ffffff", "font": "Source Sans Pro, sans-serif",
    "title": {"color": "#31333f", "fontSize": 16, "fontWeight": 600, "anchor": "start"},
    "axis": {"labelColor": "#808495", "titleColor": "#808495", "labelFontSize": 12, "titleFontSize": 12,
             "titleFontWeight": 400, "gridColor": "#e6eaf1", "domainColor": "#e6eaf1", "tickColor": "#e6eaf1"},
    "legend": {"labelColor": "#808495", "titleColor": "#808495", "labelFontSize": 12, "titleFontSize": 12,
               "titleFontWeight": 400},
    "view": {"stroke": None}, "range": {"category": PALETTE},
}
PNG_SCALE = 2  # pixels per chart unit: sharp on slides and high-density screens


def _plain(spec: dict) -> dict:
    """The spec with its named datasets (DataFrames, as the page sends them) as JSON rows."""
    out = dict(spec)
    datasets = {}
    for name, df in (spec.get("datasets") or {}).items():
        if isinstance(df, pd.DataFrame):
            df = df.astype(object).where(df.notna(), None)
            datasets[name] = df.to_dict("records")
        else:
            datasets[name] = df
    out["datasets"] = datasets
    return out


def chart_svg(spec: dict) -> str:
    """The chart as SVG, rendered on the server from its Vega-Lite spec with the app's theme.
    vl-convert (a JavaScript runtime of its own) is imported only when an export is asked for."""
    import vl_convert

    return vl_convert.vegalite_to_svg(_plain(spec), config=THEME)


def chart_png(spec: dict, scale: float = PNG_SCALE) -> bytes:
    """The chart as PNG (`scale` pixels per unit), as `chart_svg` renders it."""
    import vl_convert

    return vl_convert.vegalite_to_png(_plain(spec), scale=scale, config=THEME)


def chart_title(spec: dict, default: str = "chart") -> str:
    """A chart's title: its own, else its panels' joined."""
    def text(t) -> str:
        return t if isinstance(t, str) else (t or {}).get("text", "") if isinstance(t, dict) else ""

    own = text(spec.get("title"))
    if own:
        return own
    panels = [text(p.get("title")) for key in ("hconcat", "vconcat", "concat", "layer") for p in spec.get(key, [])]
    return " · ".join(p for p in panels if p) or default
