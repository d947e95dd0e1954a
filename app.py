"""Router: the home page, one page per lab (from the lab registry), then the run history."""
from pathlib import Path

import streamlit as st

from core import labs

st.set_page_config(page_title="Training dynamics", page_icon="📉", layout="wide")
st.navigation([
    st.Page(Path(__file__).parent / "app_pages/home.py", title="Home", icon="🏠", default=True),
    *(st.Page(lab.screen_file, title=lab.title, icon=lab.icon, url_path=lab.url_path) for lab in labs.all_labs()),
    st.Page(Path(__file__).parent / "app_pages/history.py", title="Run history", icon="📜", url_path="history"),
]).run()
