"""The Initialization-variance lab's config: activation × initializer pairs measured through
depth at initialization, and a short training of the same pairs."""
from __future__ import annotations

from dataclasses import dataclass

from core import activations, init
from core.config import param, tweak, validate
from core.labs.fields import Shape, Shared

MAX_COMBOS = 12
LAYERS = tuple(str(n) for n in range(1, 101))


@dataclass(frozen=True)
class Config(Shape, Shared):
    activations: tuple = param(("sigmoid", "tanh"), "activations compared", label="Activations", lo=1, hi=6,
                               items=activations.ACTIVATIONS)
    inits: tuple = param(("naive", "glorot_uniform"), "initializers compared", label="Initializers", lo=1, hi=6,
                         items=init.INITS)
    probe_size: int = param(512, "examples in the probe batch sent through the fresh nets", label="Probe batch",
                            lo=8, hi=4096, grid=(8, 32, 128, 256, 512, 1024, 2048, 4096))
    seeds: int = param(3, "initializations averaged (seed, seed+1, ...)", label="Initializations averaged",
                       lo=1, hi=10, widget="slider")
    bias: bool = param(False, "biases on; off as in Glorot's and He's analyses", label="Biases on")
    hist_layers: tuple = param(("1", "5", "10", "25", "50"), "layers whose histograms are drawn",
                               label="Histograms at layers", lo=1, hi=8, items=LAYERS)
    depth: int = tweak(Shape, "depth", 50)
    seed: int = tweak(Shared, "seed", help="first seed of the initializations averaged; also fixes the split")

    def __post_init__(self) -> None:
        validate(self)
        if len(self.activations) * len(self.inits) > MAX_COMBOS:
            raise ValueError(f"at most {MAX_COMBOS} activation × initializer pairs, "
                             f"got {len(self.activations) * len(self.inits)}")

    def pairs(self) -> list[tuple[str, str]]:
        return [(a, i) for a in self.activations for i in self.inits]


@dataclass(frozen=True)
class TrainIt(Config):
    """A short training of the same pairs (the Vanishing-gradients lab's run)."""

    train_epochs: int = param(5, "epochs of the short training", label="Epochs", lo=1, hi=20, widget="slider")
