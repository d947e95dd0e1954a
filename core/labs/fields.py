"""Config fields several labs share, declared once: the data and run fields every lab has, the
network and training fields of the labs that train an MLP. A lab that needs another default or
other limits says so with `config.tweak`, keeping the meaning, label and widget written here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import activations, data, device, init, optim
from core.config import param
from core.models import MLPSpec

LRS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0)
WIDTHS = (4, 8, 16, 32, 64, 100, 128, 256, 384, 512, 1024)
BATCHES = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
SHARED = ("dataset", "device", "seed")  # drawn once, in the sidebar, and kept across labs


def image_sets() -> list[str]:
    return [n for n in data.names() if data.DATASETS.get(n).kind != "synthetic"]


def takes_uploads(f: Any) -> bool:
    """Whether a lab's dataset field `f` accepts uploaded CSVs: it does unless the lab narrowed
    its choices (to image sets, say) with `tweak`."""
    return f.metadata.get("choices") is data.choices


@dataclass(frozen=True)
class Shared:
    """What every lab has: the data, the seed and the device."""

    dataset: str = param("digits", "dataset (digits is bundled; image sets download once; a CSV uploaded on the "
                                   "page is upload:<its hash>)", label="Dataset",
                         choices=data.choices, fmt=data.display_label, check=data.check)
    seed: int = param(0, "seed for the split, the initial weights, the batch order and dropout masks",
                      label="Seed", lo=0, hi=2**31 - 1, widget="number")
    device: str = param("auto", "where tensors live: auto (cuda, then mps, then cpu), cuda, mps or cpu",
                        label="Device", choices=device.CHOICES)


@dataclass(frozen=True)
class Shape:
    """An MLP's depth and width."""

    depth: int = param(3, "hidden layers", label="Depth (hidden layers)", lo=1, hi=100, widget="slider")
    width: int = param(100, "units per hidden layer", label="Width (units per layer)", lo=1, hi=1024, grid=WIDTHS)


@dataclass(frozen=True)
class Net(Shape):
    """An MLP: depth, width, activation and initializer."""

    activation: str = param("relu", "activation of every hidden layer", label="Activation",
                            choices=activations.ACTIVATIONS)
    init: str = param("he_normal", "initializer of every layer", label="Initializer", choices=init.INITS)

    def spec(self, **extra: Any) -> MLPSpec:
        """The MLP these fields describe (`extra`: more MLPSpec fields, e.g. norm)."""
        return MLPSpec(self.depth, self.width, self.activation, init=self.init, **extra)


@dataclass(frozen=True)
class Loop:
    """How long and on what batches: epochs and batch size."""

    epochs: int = param(10, "passes over the train split", label="Epochs", lo=1, hi=200, widget="slider")
    batch_size: int = param(32, "examples per optimizer step", label="Batch size", lo=1, hi=4096, grid=BATCHES)


@dataclass(frozen=True)
class Fit(Loop):
    """Training: optimizer and learning rate, epochs and batch size."""

    optimizer: str = param("sgd", "optimizer", label="Optimizer", choices=optim.OPTIMIZERS)
    lr: float = param(0.05, "learning rate (per optimizer step)", label="Learning rate", lo=1e-6, hi=100.0, grid=LRS)
