"""Streamlit Community Cloud entrypoint: runs the app in app.py unchanged.

The app lives at the repository root, but Community Cloud reads the dependency file next to the
main file before the root one, and the root requirements.txt installs the CUDA build of torch.
This folder holds the CPU-only pins (cloud/requirements.txt), so this file has to be the main file.

Two things change when the main file is here rather than at the root:
- Streamlit puts only this folder on sys.path, so `core` and `ui` would not import.
- Page paths given to st.Page and st.page_link are resolved against this folder. The
  `app_pages` link here points at the root's app_pages/, so "app_pages/home.py" names
  the same file from either main file.
"""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Streamlit runs this file again on every rerun; add the root once.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
