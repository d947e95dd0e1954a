"""Shared sidebar controls (dataset, device, seed), kept in session state across pages."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core import data, device


@dataclass(frozen=True)
class Shared:
    dataset: str
    device: str
    seed: int


def _keep(name: str, default) -> None:
    # Widget state is dropped when a page without the widget runs; a shadow key survives.
    shadow = f"_keep_{name}"
    st.session_state.setdefault(shadow, default)
    if name not in st.session_state:
        st.session_state[name] = st.session_state[shadow]


def _save(name: str) -> None:
    st.session_state[f"_keep_{name}"] = st.session_state[name]


def _dataset_label(name: str) -> str:
    spec = data.DATASETS.get(name)
    if spec.kind == "download" and not data.is_cached(name):
        return f"{spec.label} (downloads on first use)"
    return spec.label


def shared_controls(datasets: list[str] | None = None) -> Shared:
    """Draw the sidebar and return its values. `datasets` limits the choice for this lab."""
    device.configure_threads()  # every page calls this; cheap and idempotent
    options = datasets or data.names()
    _keep("dataset", "digits")
    if st.session_state["dataset"] not in options:
        st.session_state["dataset"] = options[0]
    _keep("device", "auto")
    _keep("seed", 0)
    # Labelled here, in the script's thread: torch's thread count is per thread, and AppTest
    # formats options from its own thread.
    auto = f"auto ({device.describe(device.pick())})"
    with st.sidebar:
        st.header("Shared settings")
        st.selectbox("Dataset", options, key="dataset", format_func=_dataset_label,
                     on_change=_save, args=("dataset",),
                     help="digits is bundled and needs no network; image sets download once into "
                          f"{data.data_dir()}")
        st.selectbox("Device", list(device.CHOICES[:1]) + device.available(), key="device",
                     on_change=_save, args=("device",),
                     format_func=lambda d: auto if d == "auto" else d)
        st.number_input("Seed", 0, 2**31 - 1, key="seed", step=1, on_change=_save, args=("seed",),
                        help="fixes the split, the initial weights and the batch order")
        st.caption(f"Running on {device.describe(device.pick(st.session_state['device']))}")
    return Shared(st.session_state["dataset"], st.session_state["device"], int(st.session_state["seed"]))
