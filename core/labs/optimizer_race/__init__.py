"""Optimizer race: optimizers side by side from the same start on the same batches, several
seeds at once, in one vectorized pass."""
from core.labs.base import Lab
from core.labs.optimizer_race import tables
from core.labs.optimizer_race.config import Config, View
from core.labs.optimizer_race.presets import PRESETS
from core.labs.optimizer_race.run import run, script

LAB = Lab(
    name="optimizer_race", title="Optimizer race", icon="🏁", url_path="race",
    summary="optimizers side by side from the same start on the same batches, several seeds, one vectorized pass",
    config=Config, run=run, screen="app_pages/race.py", view=View, script=script,
    smoke={"optimizers": "sgd,adam", "depth": "1", "width": "16", "epochs": "1", "seeds": "2"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
