"""The Activations lab's presets: dying ReLU at the measured rates (see config.py's docstring),
and saturation in the shapes and gradient-through-depth views."""
from core.labs.base import Preset, presets

# The dying-ReLU training the figures were measured with (digits, He init for every activation).
DYING = {"dataset": "digits", "activations": ("relu", "leaky_relu", "elu", "gelu"), "optimizer": "adam",
         "depth": 6, "width": 100, "batch_size": 32, "epochs": 10}

PRESETS = presets(
    Preset("Dying ReLU with Adam at 0.01",
           "About 15% of the ReLU units die, most in the first epoch, while leaky ReLU and GELU lose none; all "
           "four still learn.",
           {**DYING, "lr": 0.01}),
    Preset("Dying ReLU with Adam at 0.02",
           "A third or more of the ReLU units die, but ELU and GELU lose units too; only leaky ReLU, whose slope "
           "is never 0, keeps every one.",
           {**DYING, "lr": 0.02}),
    Preset("Sigmoid and tanh saturate",
           "Shaded where the slope is below 0.05; through depth, beside ReLU, sigmoid's gradient stays under 0.25^L "
           "and tanh's collapses once σ = 2 pushes z into its flat tails.",
           {"names": ("sigmoid", "tanh", "relu"), "threshold": 0.05, "z_min": -6.0, "z_max": 6.0, "z": 1.0,
            "sigma": 2.0}),
)
