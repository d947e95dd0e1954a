"""The Learning-rate-schedules lab's config: schedules racing on one optimizer, the range test
(sharing the network, data, optimizer and batch size), and how the page draws them."""
from __future__ import annotations

from dataclasses import dataclass

from core import optim, schedules
from core.config import param, tweak, validate
from core.labs.fields import Fit, Loop, Net, Shared
from core.race import Entrant, stacks

# The chapter's comparison: SGD at 0.05 under five schedules (exponential at its default γ=0.9 per epoch).
CHAPTER = ("constant", "exponential", "plateau", "warmup_plateau", "onecycle")
PREVIEW = ("step", "cosine", "warmup_cosine", "onecycle", "plateau")
X_AXES = {"epoch": "epochs", "samples": "samples seen", "time": "wall-clock seconds"}


def _no_hessian(optimizer: str) -> None:
    if not stacks(optimizer):
        raise ValueError(f"{optim.get(optimizer).label} needs a second-order backward, which the schedule race "
                         "and the range test do not take; pick another optimizer")


@dataclass(frozen=True)
class Config(Fit, Net, Shared):
    schedules: tuple = param(CHAPTER, "schedules racing", label="Schedules racing", lo=1, hi=12,
                             items=schedules.SCHEDULES)
    settings: tuple = param((), "each schedule's settings: name:key=value, e.g. onecycle:pct_start=0.25, "
                            "exponential:interval=batch, multistep:milestones=3;6", label="Schedule settings",
                            lo=0, hi=64, widget="custom")
    seeds: int = param(1, "initializations per schedule (seed, seed+1, ...)", label="Seeds", lo=1, hi=5,
                       widget="slider")
    lr: float = tweak(Fit, "lr", help="learning rate: the base rate, 1cycle's max_lr, Noam's scale", hi=10.0)
    optimizer: str = tweak(Fit, "optimizer", help="optimizer every schedule drives, and the range test's")
    depth: int = tweak(Net, "depth", hi=20)
    epochs: int = tweak(Loop, "epochs", hi=100)

    def __post_init__(self) -> None:
        validate(self)
        _no_hessian(self.optimizer)
        self.entrants()  # checks the settings

    def entrants(self) -> list[Entrant]:
        own = self.own_settings()
        return [Entrant(self.optimizer, self.lr, label=schedules.get(name).label, schedule=name,
                        schedule_settings=tuple(sorted(own.get(name, {}).items())))
                for name in self.schedules]

    def own_settings(self) -> dict[str, dict]:
        """Schedule -> its settings; any schedule may have some (the preview shows more than race)."""
        return schedules.parse_settings(self.settings, schedules.names())


@dataclass(frozen=True)
class FinderConfig(Net, Shared):
    """The range test: the rate rises exponentially from start_lr to end_lr over `steps` batches."""

    optimizer: str = tweak(Config, "optimizer")
    batch_size: int = tweak(Loop, "batch_size")
    depth: int = tweak(Config, "depth")
    start_lr: float = param(1e-5, "the range test's first learning rate", label="From", lo=1e-8, hi=1.0,
                            grid=(1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0))
    end_lr: float = param(10.0, "the range test's last learning rate", label="To", lo=1e-4, hi=1000.0,
                          grid=(1e-3, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0))
    steps: int = param(100, "batches of the range test, one rate each, evenly spaced on a log scale",
                       label="Batches", lo=10, hi=1000, widget="slider")
    blowup: float = param(4.0, "the range test stops when the smoothed loss passes this multiple of its minimum",
                          label="Stop at × minimum", lo=1.5, hi=100.0, grid=(1.5, 2.0, 3.0, 4.0, 5.0, 10.0, 100.0))
    smoothing: float = param(0.95, "weight of the past in the range test's moving average of the loss",
                             label="Smoothing", lo=0.0, hi=0.995, grid=(0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99))

    def __post_init__(self) -> None:
        validate(self)
        _no_hessian(self.optimizer)
        if self.start_lr >= self.end_lr:
            raise ValueError(f"start_lr must be below end_lr, got {self.start_lr:g} and {self.end_lr:g}")


@dataclass(frozen=True)
class View:
    """What the page previews and how it draws the race."""

    preview: tuple = param(PREVIEW, "schedules overlaid in the preview", label="Schedules to overlay", lo=0, hi=12,
                           items=schedules.SCHEDULES)
    plateau_at: int = param(4, "the preview's simulated validation loss stops improving after this epoch",
                            label="Simulated validation loss stops improving after epoch", lo=1, hi=100,
                            widget="slider")
    log_y: bool = param(False, "the preview's learning-rate axis on a log scale", label="Log scale")
    x: str = param("epoch", "what the race's x axis measures", label="x axis", choices=tuple(X_AXES),
                   widget="radio", fmt=X_AXES.get)

    def __post_init__(self) -> None:
        validate(self)
