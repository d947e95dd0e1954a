"""The learning-rate sweep's config: optimizers × log-spaced rates × seeds, on one network."""
from __future__ import annotations

from dataclasses import dataclass

from core import optim, sweep
from core.config import param, tweak, validate
from core.labs.fields import LRS, Loop, Net, Shared
from core.race import stacking_optimizers

METRICS = {"accuracy": "validation accuracy", "loss": "validation loss"}
BANDS = {"min-max": "min–max", "std": "± one std"}


@dataclass(frozen=True)
class Config(Loop, Net, Shared):
    optimizers: tuple = param(("sgd", "momentum", "adagrad", "rmsprop", "adam"), "optimizers swept",
                              label="Optimizers", lo=1, hi=16, items=stacking_optimizers, fmt=lambda n: optim.get(n).label,
                              check=sweep.stackable)
    lr_lo: float = param(1e-4, "lowest learning rate of the range", label="Lowest rate", lo=1e-6, hi=10.0, grid=LRS)
    lr_hi: float = param(1.0, "highest learning rate of the range", label="Highest rate", lo=1e-5, hi=100.0,
                         grid=LRS)
    points: int = param(9, "rates per optimizer, log-spaced, both ends included", label="Rates",
                        lo=sweep.MIN_POINTS, hi=sweep.MAX_POINTS, widget="slider")
    seeds: int = param(2, "initializations per rate (seed, seed+1, ...)", label="Seeds", lo=1, hi=10,
                       widget="slider")
    epochs: int = tweak(Loop, "epochs", 5, hi=100)
    depth: int = tweak(Net, "depth", hi=20)

    def __post_init__(self) -> None:
        validate(self)
        sweep.check_work(self.grid().cells, self.epochs)

    def grid(self) -> sweep.Grid:
        """The sweep's cells (ValueError, with a message, for a sweep it refuses)."""
        return sweep.Grid(tuple(self.optimizers), self.lr_lo, self.lr_hi, self.points,
                          tuple(range(self.seed, self.seed + self.seeds)))


@dataclass(frozen=True)
class View:
    """How the sweep is drawn."""

    metric: str = param("accuracy", "what the chart's y axis shows, at each cell's last epoch", label="Show",
                        choices=tuple(METRICS), widget="radio", fmt=METRICS.get)
    band: str = param("min-max", "the band around each optimizer's mean over seeds", label="Band over seeds",
                      choices=tuple(BANDS), widget="radio", fmt=BANDS.get)

    def __post_init__(self) -> None:
        validate(self)
