"""Loss landscapes: optimizers on toy two-parameter surfaces, then a real network's landscape
(linear path, 2-D slices, Hessian spectrum, "is it really stuck?")."""
from core.labs.base import Lab, Part
from core.labs.landscape import tables
from core.labs.landscape.config import Arena, Config, View, Views
from core.labs.landscape.presets import PRESETS
from core.labs.landscape.run import run, run_arena, script
from core.labs.landscape.views import run_all

LAB = Lab(
    name="landscape", title="Loss landscapes", icon="⛰️", url_path="landscape",
    summary="saddle points, narrow valleys and poor minima on toy surfaces; a trained network's linear path, "
            "2-D slices, Hessian spectrum and whether a stalled run is really stuck",
    config=Config, run=run, screen="app_pages/landscape.py", view=View, script=script,
    parts={"arena": Part("Toy arena (two parameters)", Arena, run_arena, lane="quick"),
           "views": Part("The network trained, then its four views", Views, run_all)},
    smoke={"depth": "1", "width": "16", "epochs": "1", "steps": "5", "path_points": "5", "resolution": "5",
           "at": "1"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
