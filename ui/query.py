"""Prefill widgets from the page URL (?depth=30&lr=0.1), checked by the lab's config class.

A value the config rejects is ignored with a message saying why; nothing else is lost.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from core.experiments import base


def prefill(config_cls: type, widgets: dict[str, str]) -> None:
    """widgets: config field -> widget key. Runs once per session and page."""
    flag = f"_query_done_{config_cls.__module__}"
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    for field, key in widgets.items():
        if field not in st.query_params:
            continue
        raw = st.query_params[field]
        try:
            value = base.parse_value(config_cls, field, raw)
            dataclasses.replace(config_cls(), **{field: value})  # validates limits and choices
        except ValueError as exc:
            st.warning(f"Ignored {field}={raw!r} from the link: {exc}")
            continue
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
