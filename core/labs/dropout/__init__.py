"""Dropout and uncertainty: one network per dropout rate on a small subset, then MC dropout,
out-of-distribution inputs and calibration on the trained networks."""
from core.labs.base import Lab
from core.labs.dropout import tables
from core.labs.dropout.config import Config, View
from core.labs.dropout.presets import PRESETS
from core.labs.dropout.run import run, script

LAB = Lab(
    name="dropout", title="Dropout and uncertainty", icon="🎲", url_path="dropout",
    summary="the same net at several dropout rates on a small subset; MC dropout, out-of-distribution inputs, "
            "calibration",
    config=Config, run=run, screen="app_pages/dropout.py", view=View, script=script,
    smoke={"rates": "0.0,0.5", "depth": "1", "width": "16", "epochs": "1", "train_size": "50"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
