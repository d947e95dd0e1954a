"""Presenter mode: the page made for a projector. No sidebar, no Streamlit toolbar, larger text
and charts, the settings folded away; the presets menu, Run and Stop and the charts stay.

It is switched for the whole session, by the toggle at the top of every page or by a link
(`?present=1` on, `?present=0` off). The address bar carries `present=1` while it is on, so a
reload keeps it; `present` is not a lab setting, and the lab's form leaves it alone.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import FALSE, TRUE

PARAM = "present"  # the query parameter
ON = "_present_on"  # session slot: presenter mode, for every page of the session
SEEN = "_present_seen"  # session slot: the value of ?present= last read or written
TOGGLE = "present.toggle"  # the toggle's widget key

# Selectors checked against Streamlit 1.67's DOM in Chromium. Streamlit sizes text in rem, its
# Vega-Lite theme included, so a larger root font enlarges labels, widgets, captions and the
# charts' axes and legends together (16.5 px chart text at 22 px). Zooming the charts as well
# pushed the fixed-width ones past the right edge; narrower side padding gives the
# full-width ones more room instead.
CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stTooltipIcon"], [data-testid="stHeaderActionElements"] { display: none !important; }
html { font-size: 22px; }
[data-testid="stMainBlockContainer"] { padding: 1.5rem 1.5rem 3rem; max-width: none; }
</style>"""


def is_on() -> bool:
    return bool(st.session_state.get(ON, False))


def params() -> dict[str, str]:
    """What presenter mode adds to the address bar: present=1 while it is on."""
    return {PARAM: "1"} if is_on() else {}


def switch(container: Any = None) -> bool:
    """Read a link's ?present=, draw the toggle (in `container`), keep the address bar in step,
    and restyle the page when presenter mode is on. Call it at the top of every page."""
    _from_link()
    st.session_state[TOGGLE] = is_on()  # the toggle follows the session, whichever page drew it last
    (container or st).toggle("Presenter mode", key=TOGGLE, on_change=_flipped,
                             help="Larger text and charts for a projector, without the sidebar. "
                                  "A link with ?present=1 opens in it.")
    _to_link()
    if is_on():
        st.html(CSS)  # style only: Streamlit puts it out of the page's flow
    return is_on()


def _flipped() -> None:
    st.session_state[ON] = st.session_state[TOGGLE]


def _from_link() -> None:
    """A ?present= value the session has not seen yet switches the mode; the same value again
    (this session's own address bar, not yet rewritten after the toggle) does not."""
    text = st.query_params.get(PARAM)
    if text == st.session_state.get(SEEN):
        return
    st.session_state[SEEN] = text
    if text is None:
        return
    word = text.strip().lower()
    if word in TRUE or word in FALSE:
        st.session_state[ON] = word in TRUE
    else:
        st.warning(f"Ignored present={text!r} from the link: it must be 1 (on) or 0 (off).")


def _to_link() -> None:
    want = params().get(PARAM)
    if st.query_params.get(PARAM) != want:
        if want is None:
            del st.query_params[PARAM]
        else:
            st.query_params[PARAM] = want
    st.session_state[SEEN] = want
