"""The Loss-landscape lab's presets: the arena's textbook pictures (a saddle's ridge, a narrow
valley, a poor minimum beside a good one) and a network small enough for its exact Hessian.
The figures are measured (seed 0) and held by tests/unit/test_landscape_lab.py."""
from core.labs.base import Preset, presets

RIDGE = {"surface": "saddle", "x0": 1.5, "y0": 0.0, "steps": 300, "optimizers": ("sgd", "momentum"), "rate": 0.1,
         "settings": ()}

PRESETS = presets(
    Preset("On the saddle's ridge: x² − y² from (1.5, 0), no noise",
           "Started exactly on y = 0 (box ±2), SGD and momentum at 0.1 both slide into the saddle at the origin and "
           "stay: the gradient vanishes there, the verdict is saddle, and nothing pushes them off the ridge.",
           {**RIDGE, "noise": 0.0}),
    Preset("On the saddle's ridge, with gradient noise σ = 0.01",
           "The same start, (1.5, 0) in the box ±2, with noise σ = 0.01 on every gradient: both leave the saddle down the y direction and "
           "escape the box, momentum at step 23, SGD at step 63.",
           {**RIDGE, "noise": 0.01}),
    Preset("The valley: gradient descent zig-zags, momentum and Adam go along it",
           "κ = 100, from (−9, 1) in the box x ±10, y ±2: SGD at 0.019 (near its stability limit 0.02) bounces "
           "between the walls and needs 277 steps to bring the loss under 0.001; momentum at 0.01 needs 94, "
           "Adam at 0.5 needs 97.",
           {"surface": "valley", "condition": 100.0, "x0": -9.0, "y0": 1.0, "steps": 400, "noise": 0.0,
            "optimizers": ("sgd", "momentum", "adam"), "rate": 0.01, "settings": ("sgd:lr=0.019", "adam:lr=0.5")}),
    Preset("Two minima: the start decides",
           "(x² − 1)² + 0.3x + y²/2 in the box x ±2, y ±1.5: from (0.5, 1.2), right of the ridge at x ≈ 0.08, "
           "SGD "
           "settles in the poor minimum (loss +0.29). Click left of the ridge, e.g. at (−0.5, 1.2), and the same "
           "SGD finds the good one (−0.31).",
           {"surface": "two_minima", "x0": 0.5, "y0": 1.2, "steps": 300, "noise": 0.0, "optimizers": ("sgd",),
            "rate": 0.05, "settings": ()}),
    Preset("Two minima: momentum carries over the ridge",
           "From (1.9, 1) in the box x ±2, y ±1.5, SGD at 0.05 settles in the poor minimum; momentum (0.9) at 0.02 gathers speed downhill, "
           "rolls over the ridge and settles in the good one.",
           {"surface": "two_minima", "x0": 1.9, "y0": 1.0, "steps": 300, "noise": 0.0,
            "optimizers": ("sgd", "momentum"), "rate": 0.05, "settings": ("momentum:lr=0.02",)}),
    Preset("Stuck, or bouncing? Adam at 10× its usual rate",
           "The default 3×100 net on digits with Adam at 0.01: the training loss stalls, even rises, at epochs "
           "5–9 and 11–12 while the full gradient stays above 10% of its starting norm: no critical point, the "
           "steps bounce. "
           "Train, then compute \"Is it really stuck?\".",
           {"dataset": "digits", "depth": 3, "width": 100, "activation": "relu", "init": "he_normal",
            "optimizer": "adam", "lr": 0.01, "epochs": 20, "batch_size": 32}),
    Preset("A small network on spirals: its exact Hessian",
           "A 2×32 tanh network on the spirals (1,218 parameters), small enough for the whole Hessian: after 100 "
           "epochs of Adam at 0.01 it reaches 99.5% validation accuracy, and at three checkpoints the most negative "
           "eigenvalue goes from −0.71 to −0.24 to −0.075, while most eigenvalues sit within the tolerance of "
           "zero.",
           {"dataset": "spirals", "depth": 2, "width": 32, "activation": "tanh", "init": "glorot_normal",
            "optimizer": "adam", "lr": 0.01, "epochs": 100, "batch_size": 32, "at": 3}),
)
