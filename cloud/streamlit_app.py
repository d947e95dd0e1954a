"""Streamlit Community Cloud entrypoint: runs the app in app.py unchanged.

The app lives at the repository root, but Community Cloud reads the dependency file next to the
main file before the root one, and the root requirements.txt installs the CUDA build of torch.
This folder holds the CPU-only pins (cloud/requirements.txt), so this file has to be the main file.

Streamlit puts only the main file's folder on sys.path, so this one adds the root for `core` and
`ui`; the app names its page scripts by absolute path, so they are found from either main file.
"""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Streamlit runs this file again on every rerun; add the root once.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
