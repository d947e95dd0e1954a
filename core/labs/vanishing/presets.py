"""The Vanishing-gradients lab's presets: the comparisons the README's table measured (depth 20,
width 100, digits, SGD at 0.05, batch 32, 10 epochs, seed 0)."""
from core.labs.base import Preset, presets

# The training every figure below was measured with; a preset restores it with its runs.
MEASURED = {"dataset": "digits", "depth": 20, "width": 100, "optimizer": "sgd", "lr": 0.05, "batch_size": 32,
            "epochs": 10}


def _measured(title: str, description: str, *runs: str) -> Preset:
    return Preset(title, description, {**MEASURED, "runs": runs})


PRESETS = presets(
    _measured("Four starts, four fates",
              "Sigmoid + Glorot vanishes, tanh + N(0,1) saturates, ReLU + N(0,1) diverges, ReLU + He learns.",
              "sigmoid-glorot", "tanh-naive", "relu-naive", "relu-he"),
    _measured("sigmoid + Glorot: vanishing",
              "Layer 1 gets about 10⁻¹² of the last layer's gradient: the first layers never learn (about 9%).",
              "sigmoid-glorot"),
    _measured("ReLU + He: healthy",
              "The gradient reaches every layer at about the same size and the net learns (about 73% in 10 epochs).",
              "relu-he"),
    _measured("SELU + LeCun: self-normalizing",
              "Activations keep mean 0 and variance 1 through 20 layers on their own: about 97%.",
              "selu-lecun"),
    _measured("Batch norm repairs sigmoid",
              "The same sigmoid + Glorot net with batch norm before each activation: from 9% to about 96%.",
              "sigmoid-glorot", "sigmoid-glorot-bn"),
    _measured("Clipping repairs momentum",
              "ReLU + He under momentum at 0.05 takes unstable steps (about 24%); clipping the gradient norm at 1 "
              "brings it to about 92%.",
              "relu-he-momentum", "relu-he-momentum-clip"),
    _measured("Every configuration measured",
              "All nine rows of the README's table side by side, from the same start on the same batches.",
              "sigmoid-glorot", "sigmoid-naive", "tanh-naive", "relu-naive", "relu-he", "selu-lecun",
              "sigmoid-glorot-bn", "relu-he-momentum", "relu-he-momentum-clip"),
)
