"""Initialization variance: how the spread of activations and gradients evolves through depth at
initialization, on a real batch, with the mean-field theory drawn beside the measurement."""
from core.labs.base import Lab, Part
from core.labs.variance import tables
from core.labs.variance.config import Config, TrainIt
from core.labs.variance.presets import PRESETS
from core.labs.variance.run import run, run_training, script_training

LAB = Lab(
    name="variance", title="Initialization variance", icon="📊", url_path="variance",
    summary="spread of activations and gradients through depth at initialization, theory beside measurement",
    config=Config, run=run, screen="app_pages/variance.py", lane="quick",
    parts={"train": Part("Train it", TrainIt, run_training, script=script_training)},
    smoke={"activations": "relu", "inits": "he_normal", "depth": "5", "width": "16", "probe_size": "32",
           "seeds": "1", "hist_layers": "1,5", "train_epochs": "1"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
