"""Learning-rate sweep: every optimizer across a log-spaced range of rates and several seeds,
so each is compared at its best; in this process, or on a Ray cluster when there is one."""
from core.labs.base import Lab
from core.labs.lr_sweep import tables
from core.labs.lr_sweep.config import Config, View
from core.labs.lr_sweep.presets import PRESETS
from core.labs.lr_sweep.run import run, script

LAB = Lab(
    name="lr_sweep", title="Learning-rate sweep", icon="🧭", url_path="sweep",
    summary="each optimizer across a range of learning rates and seeds: its best rate and how touchy it is",
    config=Config, run=run, screen="app_pages/sweep.py", view=View, script=script,
    smoke={"optimizers": "sgd,adam", "depth": "1", "width": "16", "epochs": "1", "seeds": "1", "points": "5",
           "lr_hi": "0.1"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
