"""Transfer learning: model A on most classes, then a small binary task B on the two held out,
from scratch and on A's reused layers, over several seeds."""
from core.labs.base import Lab
from core.labs.transfer import tables
from core.labs.transfer.config import Config
from core.labs.transfer.presets import PRESETS
from core.labs.transfer.run import run, script

LAB = Lab(
    name="transfer", title="Transfer learning", icon="🔁", url_path="transfer",
    summary="a model trained on most classes reused for a small task on the two held out, against training "
            "from scratch, over many seeds",
    config=Config, run=run, screen="app_pages/transfer.py",
    script=script,
    smoke={"depth": "1", "width": "16", "epochs_a": "1", "epochs_b": "2", "freeze_epochs": "1", "reuse": "1",
           "n_examples": "20", "seeds": "2"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
