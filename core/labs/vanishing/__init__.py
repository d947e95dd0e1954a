"""Vanishing and exploding gradients: deep MLPs side by side, per-layer gradients watched live."""
from core.labs.base import Lab
from core.labs.vanishing import tables
from core.labs.vanishing.config import Config
from core.labs.vanishing.presets import PRESETS
from core.labs.vanishing.run import run, script

LAB = Lab(
    name="vanishing", title="Vanishing gradients", icon="📉", url_path="vanishing",
    summary="deep nets side by side: gradient norm per layer over training, saturation, divergence",
    config=Config, run=run, screen="app_pages/vanishing.py",
    smoke={"runs": "relu-he", "depth": "3", "width": "16", "epochs": "1"},
    table=tables.table, headline=tables.headline, presets=PRESETS, script=script,
)
