"""Router: the home page and one page per lab."""
import streamlit as st

st.set_page_config(page_title="Training dynamics", page_icon="📉", layout="wide")
st.navigation([
    st.Page("app_pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("app_pages/activations.py", title="Activations", icon="〰️", url_path="activations"),
    st.Page("app_pages/variance.py", title="Initialization variance", icon="📊", url_path="variance"),
    st.Page("app_pages/vanishing.py", title="Vanishing gradients", icon="📉", url_path="vanishing"),
    st.Page("app_pages/race.py", title="Optimizer race", icon="🏁", url_path="race"),
    st.Page("app_pages/schedules.py", title="Learning-rate schedules", icon="📈", url_path="schedules"),
    st.Page("app_pages/dropout.py", title="Dropout and uncertainty", icon="🎲", url_path="dropout"),
]).run()
