"""Activations: each function and its slope, saturation, gradient through depth, gated units,
and dying ReLU units watched live while a net trains."""
from core.labs.activations import tables
from core.labs.activations.config import Config, View
from core.labs.activations.presets import PRESETS
from core.labs.activations.run import run, script
from core.labs.base import Lab

LAB = Lab(
    name="activations", title="Activations", icon="〰️", url_path="activations",
    summary="each function and its slope, saturation, gradient through depth, and dying ReLU units live",
    config=Config, run=run, screen="app_pages/activations.py", view=View, script=script,
    smoke={"activations": "relu,leaky_relu", "depth": "2", "width": "16", "epochs": "1"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
