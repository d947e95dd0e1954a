"""The Optimizer-race lab's config: optimizers racing from the same start on the same batches,
each with its own settings, several seeds each."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import optim
from core import settings as text_settings
from core.config import param, tweak, validate
from core.labs.fields import Fit, Loop, Net, Shared
from core.models import NORMS, MLPSpec
from core.race import Entrant

CLASSIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw")
LR_MODES = {"usual": "each at its usual rate", "same": "one rate for all"}
X_AXES = {"epoch": "epoch", "samples": "samples seen", "time": "wall-clock seconds"}
BANDS = {"min-max": "min–max", "std": "± one std"}


@dataclass(frozen=True)
class Config(Loop, Net, Shared):
    optimizers: tuple = param(CLASSIC, "optimizers racing", label="Optimizers", lo=1, hi=16,
                              items=optim.OPTIMIZERS)
    lr_mode: str = param("usual", "'usual': each at its usual rate; 'same': all at lr", label="Learning rates",
                         choices=tuple(LR_MODES), widget="radio", fmt=LR_MODES.get)
    lr: float = tweak(Fit, "lr", label="Rate for all", help="learning rate of every optimizer when lr_mode is 'same'",
                      hi=10.0)
    norm: str = param("none", "normalization; any but none trains the models one by one", label="Normalization",
                      choices=NORMS)
    seeds: int = param(1, "initializations per optimizer (seed, seed+1, ...)", label="Seeds", lo=1, hi=10,
                       widget="slider")
    settings: tuple = param((), "each optimizer's own settings: name:key=value, e.g. adam:lr=0.002, "
                            "adam:betas=0.9;0.99, adamw:weight_decay=0.01", label="Each optimizer's own settings",
                            lo=0, hi=64, widget="custom")
    epochs: int = tweak(Loop, "epochs", hi=100)
    depth: int = tweak(Net, "depth", hi=20)

    def __post_init__(self) -> None:
        validate(self)
        self.entrants()  # checks the settings

    def entrants(self) -> list[Entrant]:
        own = parse_settings(self.settings, self.optimizers)
        out = []
        for name in self.optimizers:
            hyper = {**own_defaults(name, self.lr_mode, self.lr), **own.get(name, {})}
            lr = hyper.pop("lr")
            out.append(Entrant(name, float(lr), tuple(sorted(hyper.items()))))
        return out

    def spec(self) -> MLPSpec:
        return super().spec(norm=self.norm)


def own_defaults(name: str, lr_mode: str = "usual", lr: float = 0.05) -> dict[str, Any]:
    """The settings optimizer `name` races with unless told otherwise: its rate (its usual one,
    or `lr` for all), its weight decay and its own editable settings."""
    spec = optim.get(name)
    return {"lr": spec.usual_lr if lr_mode == "usual" else lr, "weight_decay": spec.weight_decay, **spec.editable}


def parse_settings(settings: tuple, optimizers: tuple) -> dict[str, dict]:
    """('adam:lr=0.002', 'adam:betas=0.9;0.99') -> {'adam': {'lr': 0.002, 'betas': (0.9, 0.99)}}.
    Keys: lr, weight_decay and the optimizer's editable settings."""
    return text_settings.parse(settings, optimizers, chosen="racing", same_length=True, defaults=own_defaults)


@dataclass(frozen=True)
class View:
    """How the race is drawn."""

    x: str = param("epoch", "what the curves' x axis measures", label="x axis", choices=tuple(X_AXES),
                   widget="radio", fmt=X_AXES.get)
    band: str = param("min-max", "the band around each optimizer's mean over seeds", label="Band over seeds",
                      choices=tuple(BANDS), widget="radio", fmt=BANDS.get)
    target: float = param(0.9, "validation accuracy the leaderboard counts epochs and samples to",
                          label="Target accuracy (leaderboard)", lo=0.5, hi=0.99, widget="slider", step=0.01)

    def __post_init__(self) -> None:
        validate(self)
