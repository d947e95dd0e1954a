"""Records out of the app: one CSV row per report per run, from the page and the command line.

A lab's `table` turns its records into rows; runs of several configs (jobs) are stacked with
the settings that differ between them as columns, written in the config grammar, so each row
says how it was made and a column that would repeat one value in every row is left out.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from core import config as C

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
