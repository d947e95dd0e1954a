"""The Deep-net lab's config: deep MLPs, each configuration one run, with normalization and
regularization switched on one at a time or together, on images or on a 2-D set."""
from __future__ import annotations

from dataclasses import dataclass

from core import data
from core.config import param, tweak, validate
from core.labs import runspec
from core.labs.fields import LRS, Fit, Shape, Shared
from core.labs.runspec import RunSpec
from core.labs.vanishing.config import PRESETS as VANISHING

MAX_RUNS = 10
SIZES = (100, 200, 300, 500, 1000, 2000, 5000)
NOISES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0)
PATIENCES = (0, 2, 3, 5, 10, 20)

# The chapter's closing exercise, step by step: a 20×100 net with Swish and He initialization,
# then batch norm, then SELU in its place, then alpha dropout (before the output layer, as the
# chapter places it), then the 1cycle schedule.
CHAPTER: dict[str, RunSpec] = {
    "plain": RunSpec("plain: Swish + He", "swish", "he_normal"),
    "bn": RunSpec("+ batch norm", "swish", "he_normal", norm="batchnorm_before"),
    "selu": RunSpec("SELU + LeCun (no batch norm)", "selu", "lecun_normal"),
    "alpha": RunSpec("SELU + alpha dropout 0.1", "selu", "lecun_normal", dropout="alpha_dropout", dropout_p=0.1,
                     dropout_last=1),
    "onecycle": RunSpec("SELU + alpha dropout 0.1 + 1cycle", "selu", "lecun_normal", dropout="alpha_dropout",
                        dropout_p=0.1, dropout_last=1, schedule="onecycle"),
}
PRESETS: dict[str, RunSpec] = {**CHAPTER, **VANISHING}  # the vanishing lab's configurations, by their keys


def parse_run(text: str) -> RunSpec:
    """A preset key (the chapter's steps, the vanishing lab's), or `activation/init[/key=value...]`."""
    return runspec.parse_run(text, PRESETS)


def is_planar(name: str) -> bool:
    """A 2-D set, whose decision boundary the lab draws."""
    return data.spec(name).kind == "synthetic"


@dataclass(frozen=True)
class Config(Fit, Shape, Shared):
    runs: tuple = param(("plain",), "configurations, each its own run: preset keys or " + runspec.GRAMMAR,
                        label="Configurations (each a run)", lo=1, hi=MAX_RUNS, fmt=lambda text: parse_run(text).label)
    depth: int = tweak(Shape, "depth", 20, hi=40)
    width: int = tweak(Shape, "width", hi=512)
    optimizer: str = tweak(Fit, "optimizer", "nadam", help="optimizer of every configuration without its own")
    lr: float = tweak(Fit, "lr", 2e-3, lo=1e-5, hi=1.0, grid=LRS,
                      help="learning rate of every configuration without its own (1cycle's peak)")
    epochs: int = tweak(Fit, "epochs", 20, hi=100)
    patience: int = param(0, "early stopping: stop after this many epochs without a lower validation loss and "
                             "restore the best weights; 0 = off", label="Early-stopping patience (epochs)",
                          lo=0, hi=50, grid=PATIENCES)
    size: int = param(500, "examples in a 2-D set before splitting (60% train)", label="Points (2-D sets)",
                      lo=100, hi=5000, grid=SIZES)
    noise: float = param(0.2, "noise of a 2-D set (its spread around the ideal shape)", label="Noise (2-D sets)",
                         lo=0.0, hi=1.0, grid=NOISES)

    def __post_init__(self) -> None:
        validate(self)
        specs = self.specs()
        for what in ([s.text() for s in specs], [s.label for s in specs]):  # runs are told apart by both
            twice = sorted({x for x in what if what.count(x) > 1})
            if twice:
                raise ValueError(f"the same configuration is listed twice: {', '.join(twice)}")

    def specs(self) -> list[RunSpec]:
        return [parse_run(text) for text in self.runs]

    def labels(self) -> list[str]:
        return [s.label for s in self.specs()]

    def data_size(self) -> int | None:
        """Examples to load: the 2-D sets take `size`; other sets are used whole."""
        return self.size if is_planar(self.dataset) else None
