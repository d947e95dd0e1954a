"""Deep nets: normalization and regularization switched on one at a time or together, each
configuration a run, with weight norms, sparsity and (on 2-D sets) decision boundaries live."""
from core.labs.base import Lab
from core.labs.deepnet import tables
from core.labs.deepnet.config import Config
from core.labs.deepnet.presets import PRESETS
from core.labs.deepnet.run import run, script

LAB = Lab(
    name="deepnet", title="Deep nets", icon="🏗️", url_path="deepnet",
    summary="a 20-layer net with batch norm, SELU, dropout, L1/L2, max-norm, clipping, early stopping, 1cycle",
    config=Config, run=run, screen="app_pages/deepnet.py", script=script,
    smoke={"runs": "plain", "depth": "3", "width": "16", "epochs": "1"},
    table=tables.table, headline=tables.headline, presets=PRESETS,
)
