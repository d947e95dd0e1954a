"""Learning-rate schedules: previews from PyTorch's schedulers, the LR range test, and schedules
racing live from the same start on the same batches."""
from core.labs.base import Lab, Part
from core.labs.schedules import tables
from core.labs.schedules.config import Config, FinderConfig, View
from core.labs.schedules.presets import PRESETS
from core.labs.schedules.run import run, run_finder, script

LAB = Lab(
    name="schedules", title="Learning-rate schedules", icon="📈", url_path="schedules",
    summary="schedules racing on one optimizer from the same start on the same batches, learning rate beside "
            "the loss; the LR range test",
    config=Config, run=run, screen="app_pages/schedules.py", view=View, script=script,
    parts={"finder": Part("LR range test", FinderConfig, run_finder,
                          no_script="the range test is a probe of rates, not a training run to reproduce")},
    smoke={"schedules": "constant,onecycle", "depth": "1", "width": "16", "epochs": "1", "steps": "10"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
