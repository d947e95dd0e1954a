"""The Loss-landscape lab's configs: a network trained live (its landscape viewed after), the toy
two-parameter arena, and how the views are computed and drawn."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import optim
from core import settings as text_settings
from core.config import param, tweak, validate
from core.labs.fields import LRS, Fit, Net, Shared
from core.labs.landscape.surfaces import SURFACES
from core.race import Entrant

ARENA_OPTIMIZERS = ("sgd", "momentum", "adam")
NOISES = (0.0, 0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
CONDITIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
STEPS = (10, 20, 50, 100, 150, 200, 300, 500, 1000, 2000)
SPLITS = {"train": "train split", "validation": "validation split"}
RESOLUTIONS = (11, 21, 31, 41, 51, 61, 81)
SPANS = (0.1, 0.25, 0.5, 1.0, 2.0)
PATH_POINTS = (21, 41, 81, 161)


@dataclass(frozen=True)
class Config(Fit, Net, Shared):
    """The network whose landscape the views look at, trained live like the other labs."""

    epochs: int = tweak(Fit, "epochs", 20, hi=100)
    depth: int = tweak(Net, "depth", hi=10)
    width: int = tweak(Net, "width", hi=512)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Arena:
    """Optimizers on a two-parameter surface: real torch.optim steps on a 2-element tensor."""

    surface: str = param("saddle", "the toy loss surface", label="Surface", choices=SURFACES,
                         fmt=lambda n: f"{SURFACES.get(n).label}: {SURFACES.get(n).formula}")
    condition: float = param(50.0, "condition number κ of the valley (largest / smallest curvature)",
                             label="Valley condition number κ", lo=1.0, hi=1000.0, grid=CONDITIONS)
    x0: float = param(1.5, "start, first parameter (inside the surface's box)", label="Start x", lo=-10.0, hi=10.0,
                      step=0.1)
    y0: float = param(0.05, "start, second parameter (inside the surface's box)", label="Start y", lo=-10.0,
                      hi=10.0, step=0.05)
    steps: int = param(100, "optimizer steps per path", label="Steps", lo=1, hi=2000, grid=STEPS)
    noise: float = param(0.0, "σ of Gaussian noise added to every gradient (0 = exact gradients)",
                         label="Gradient noise σ", lo=0.0, hi=10.0, grid=NOISES)
    optimizers: tuple = param(ARENA_OPTIMIZERS, "optimizers whose paths are drawn", label="Optimizers", lo=1, hi=8,
                              items=optim.OPTIMIZERS)
    rate: float = param(0.05, "learning rate of every optimizer unless its own settings say otherwise",
                        label="Learning rate (all)", lo=1e-5, hi=10.0, grid=LRS)
    settings: tuple = param((), "each optimizer's own settings: name:key=value, e.g. adam:lr=0.2, "
                            "momentum:momentum=0.95", label="Each optimizer's own settings", lo=0, hi=64,
                            widget="custom")
    seed: int = tweak(Shared, "seed", help="seed of the gradient noise (every optimizer gets the same draws)")

    def __post_init__(self) -> None:
        validate(self)
        x_lo, x_hi, y_lo, y_hi = SURFACES.get(self.surface).box
        if not (x_lo <= self.x0 <= x_hi and y_lo <= self.y0 <= y_hi):
            raise ValueError(f"the start ({self.x0:g}, {self.y0:g}) is outside the {self.surface} surface's box "
                             f"x {x_lo:g}..{x_hi:g}, y {y_lo:g}..{y_hi:g}")
        self.entrants()  # checks the settings

    def entrants(self) -> list[Entrant]:
        own = parse_settings(self.settings, self.optimizers, self.rate)
        out = []
        for name in self.optimizers:
            hyper = {**own_defaults(name, self.rate), **own.get(name, {})}
            lr = hyper.pop("lr")
            out.append(Entrant(name, float(lr), tuple(sorted(hyper.items()))))
        return out


def own_defaults(name: str, rate: float = 0.05) -> dict[str, Any]:
    """An arena optimizer's settings unless told otherwise: the arena's rate, no weight decay (a
    toy surface has no weights to shrink), and the optimizer's own editable settings."""
    return {"lr": rate, "weight_decay": 0.0, **optim.get(name).editable}


def parse_settings(settings: tuple, optimizers: tuple, rate: float = 0.05) -> dict[str, dict]:
    """('adam:lr=0.2', 'momentum:momentum=0.95') -> {'adam': {'lr': 0.2}, 'momentum': {'momentum': 0.95}}."""
    return text_settings.parse(settings, optimizers, chosen="in the arena", same_length=True,
                               defaults=lambda n: own_defaults(n, rate))


@dataclass(frozen=True)
class View:
    """How the trained network's landscape is measured and drawn."""

    split: str = param("train", "the split every view's loss is measured on (cross-entropy, eval mode)",
                       label="Loss measured on", choices=tuple(SPLITS), widget="radio", fmt=SPLITS.get)
    path_points: int = param(41, "points on the linear path, α from −0.5 to 1.5", label="Points on the path",
                             lo=5, hi=201, grid=PATH_POINTS)
    resolution: int = param(31, "grid points per side of the 2-D slices", label="Slice resolution (per side)",
                            lo=5, hi=101, grid=RESOLUTIONS)
    span: float = param(1.0, "half-width of the random slice, in units of the filter-normalized directions",
                        label="Slice half-width", lo=0.05, hi=5.0, grid=SPANS)
    eigs: int = param(10, "extreme eigenvalues computed at each end of the spectrum (Lanczos)",
                      label="Extreme eigenvalues (each end)", lo=1, hi=50, grid=(1, 2, 5, 10, 20, 30, 50))
    at: int = param(2, "checkpoints the spectrum is computed at, evenly spread from start to end",
                    label="Spectrum at checkpoints", lo=1, hi=6, widget="slider")

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Views(Config, View):
    """Headless: train the network, then compute every view of it (`python -m core run landscape.views`)."""

    def __post_init__(self) -> None:
        validate(self)

    def training(self) -> Config:
        return Config(**{f: getattr(self, f) for f in Config.__dataclass_fields__})

    def view(self) -> View:
        return View(**{f: getattr(self, f) for f in View.__dataclass_fields__})
