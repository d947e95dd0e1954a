"""Home: what each lab shows, the device in use, which datasets are ready offline."""
import pandas as pd
import streamlit as st

from core import data, device, labs
from ui import present

head, switch = st.columns([4, 1], vertical_alignment="center")
head.title("Training dynamics")
present.switch(switch)
st.write(
    "Train small neural networks live and see for yourself why deep nets are hard to train. "
    "Every chart is measured from a real PyTorch model training while you watch."
)
st.subheader("Labs")
for lab in labs.all_labs():
    st.page_link(lab.screen_file, label=f"**{lab.title}**: {lab.summary}", icon=lab.icon)

st.subheader("Device")
st.write(f"Training runs on **{device.describe(device.pick())}**. "
         "Order of preference: CUDA GPU, then Apple MPS, then the CPU.")
st.subheader("Datasets")
cached = data.cached_status()
st.dataframe(
    pd.DataFrame([{"dataset": data.DATASETS.get(n).label, "what": data.DATASETS.get(n).summary,
                   "ready offline": "yes" if ok else "downloads on first use"} for n, ok in cached.items()]),
    hide_index=True, width="stretch",
)
st.caption(f"Downloads are cached in {data.data_dir()} (set ${data.DATA_DIR_ENV} to change it).")
