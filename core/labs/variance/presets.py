"""The Initialization-variance lab's presets: the classic comparisons, with what was measured for
them (width 100, 512 digits, three initializations, biases off; the README's table)."""
from core.labs.base import Preset, presets


def _pairs(title: str, description: str, activations: tuple, inits: tuple, depth: int = 50) -> Preset:
    return Preset(title, description, {"activations": activations, "inits": inits, "depth": depth, "bias": False})


PRESETS = presets(  # the first one is the Config's default
    _pairs("The classic figure: sigmoid and tanh, N(0,1) and Glorot",
           "Under N(0,1) half the sigmoid units and 78% of the tanh units sit at their bounds; Glorot keeps them "
           "off the bounds and tanh's gradient within 10× over 50 layers, while sigmoid's still vanishes (10⁻³¹).",
           ("sigmoid", "tanh"), ("naive", "glorot_uniform")),
    _pairs("sigmoid: N(0,1) against Glorot",
           "N(0,1) pins half the units within 0.01 of 0 or 1; Glorot keeps them in the middle, yet sigmoid's slope "
           "(at most 0.25) shrinks the gradient 10³¹-fold on its way back to layer 1.",
           ("sigmoid",), ("naive", "glorot_normal")),
    _pairs("ReLU: Glorot against He",
           "Glorot halves the signal at every layer (10⁻¹⁵ by layer 50); He's doubled variance keeps it level.",
           ("relu",), ("glorot_normal", "he_normal")),
    _pairs("ReLU: He, Glorot, PyTorch's default, N(0,1)",
           "He stays level, Glorot halves each layer, PyTorch's default shrinks 6× a layer, N(0,1) overflows by "
           "layer 20.",
           ("relu",), ("he_normal", "glorot_normal", "default", "naive")),
    _pairs("SELU + LeCun at depth 100",
           "Self-normalizing: the activations' spread stays within 0.94–1.03 through all 100 layers.",
           ("selu",), ("lecun_normal",), depth=100),
)
