"""The Activations lab's config: the activations trained side by side for the dying-ReLU run, and
the settings of the shapes, slopes, gradient-through-depth and gated-unit views.

A unit is dead when no gradient reaches it: |f'(z)| < DEAD_SLOPE for every example of the
validation probe, f' taken by autograd. For ReLU that is "never positive"; a leaky-ReLU unit
that is never positive still passes α of the gradient and can come back, so it is not dead.

Defaults measured on digits (seeds 0-3): Adam at lr 0.01, depth 6, width 100, batch 32,
10 epochs, He init for every activation. 15-17% of the ReLU units die, most of them in the
first epoch; leaky ReLU and GELU lose none and ELU at most 0.3%, and all four still learn
(82-98% validation accuracy at the last epoch). At lr 0.02, 32-43% of the ReLU units die but
ELU (14-27%) and GELU (7-40%) lose units too, so the contrast blurs; only leaky ReLU, whose
slope is never 0, loses none. Plain SGD at lr 0.5 kills 1-12% of the ReLU units, and most of
those runs diverge.
"""
from __future__ import annotations

from dataclasses import dataclass

from core import activations
from core.config import param, tweak, validate
from core.labs.activations.shapes import GATES
from core.labs.fields import Fit, Loop, Shape, Shared

Z_LIMIT = 20.0


@dataclass(frozen=True)
class Config(Fit, Shape, Shared):
    activations: tuple = param(("relu", "leaky_relu", "elu", "gelu"), "activations trained side by side",
                               label="Activations trained side by side", lo=1, hi=6, items=activations.ACTIVATIONS)
    depth: int = tweak(Shape, "depth", 6, hi=30)
    width: int = tweak(Shape, "width", lo=4, hi=512)
    optimizer: str = tweak(Fit, "optimizer", "adam")
    lr: float = tweak(Fit, "lr", 0.01, lo=1e-5, hi=10.0)
    epochs: int = tweak(Loop, "epochs", hi=100)

    def __post_init__(self) -> None:
        validate(self)

    def labels(self) -> list[str]:
        """Run labels, in the config's order (the registry labels)."""
        return [activations.get(name).label for name in self.activations]


@dataclass(frozen=True)
class View:
    """The views drawn without training: shapes and slopes, gradient through depth, gated units."""

    names: tuple = param(("sigmoid", "tanh", "relu", "elu", "gelu"), "activations drawn", label="Activations",
                         lo=0, hi=12, items=activations.ACTIVATIONS)
    leaky_alpha: float = param(0.01, "leaky ReLU's slope for z < 0 (0 is ReLU)", label="Leaky ReLU slope α",
                               lo=0.0, hi=0.5, widget="slider", step=0.01)
    elu_alpha: float = param(1.0, "ELU tends to −α as z → −∞", label="ELU α", lo=0.1, hi=3.0, widget="slider",
                             step=0.1)
    swish_beta: float = param(1.0, "z·sigmoid(βz): β = 1 is SiLU, large β approaches ReLU", label="Swish β",
                              lo=0.1, hi=5.0, widget="slider", step=0.1)
    z_min: float = param(-6.0, "left end of the z axis", label="z from", lo=-Z_LIMIT, hi=Z_LIMIT, widget="slider",
                         step=0.5)
    z_max: float = param(6.0, "right end of the z axis", label="z to", lo=-Z_LIMIT, hi=Z_LIMIT, widget="slider",
                         step=0.5)
    threshold: float = param(0.05, "z where |f′(z)| is below this is shaded: a unit there passes little gradient",
                             label="Saturation threshold on |f′(z)|", lo=0.0, hi=0.5, widget="slider", step=0.01)
    z: float = param(1.0, "where the readout takes f(z) and f′(z)", label="Read off at z", lo=-Z_LIMIT, hi=Z_LIMIT,
                     widget="slider", step=0.05)
    sigma: float = param(1.0, "spread of the pre-activations along the sampled paths", label="σ, spread of the "
                         "pre-activations", lo=0.1, hi=5.0, widget="slider", step=0.1)
    gate: str = param("swiglu", "gated unit drawn", label="Gate", choices=GATES)

    def __post_init__(self) -> None:
        validate(self)
        if self.z_min >= self.z_max:
            raise ValueError(f"z_min must be below z_max, got {self.z_min:g} and {self.z_max:g}")
        if not self.z_min <= self.z <= self.z_max:
            raise ValueError(f"z must be within {self.z_min:g}..{self.z_max:g}, got {self.z:g}")

    def params(self) -> dict[str, dict[str, float]]:
        return {"leaky_relu": {"alpha": self.leaky_alpha}, "elu": {"alpha": self.elu_alpha},
                "swish": {"beta": self.swish_beta}}
