"""The Vanishing-gradients lab's config: configurations side by side, as preset keys or specs."""
from __future__ import annotations

from dataclasses import dataclass

from core.config import param, tweak, validate
from core.labs import runspec
from core.labs.fields import Fit, Shape, Shared
from core.labs.runspec import RunSpec

MAX_RUNS = 10


# Outcomes measured on digits at depth 20, width 100, SGD at 0.05 (see the README).
PRESETS: dict[str, RunSpec] = {
    "sigmoid-glorot": RunSpec("sigmoid + Glorot", "sigmoid", "glorot_normal"),
    "sigmoid-naive": RunSpec("sigmoid + N(0,1)", "sigmoid", "naive"),
    "tanh-naive": RunSpec("tanh + N(0,1)", "tanh", "naive"),
    "relu-naive": RunSpec("ReLU + N(0,1)", "relu", "naive"),
    "relu-he": RunSpec("ReLU + He", "relu", "he_normal"),
    "selu-lecun": RunSpec("SELU + LeCun", "selu", "lecun_normal"),
    "sigmoid-glorot-bn": RunSpec("sigmoid + Glorot + batch norm", "sigmoid", "glorot_normal", norm="batchnorm_before"),
    "relu-he-momentum": RunSpec("ReLU + He, momentum 0.05", "relu", "he_normal", optimizer="momentum", lr=0.05),
    "relu-he-momentum-clip": RunSpec("ReLU + He, momentum 0.05 + clipping", "relu", "he_normal", clip=1.0,
                                     optimizer="momentum", lr=0.05),
}


def parse_run(text: str) -> RunSpec:
    """A preset key, or `activation/init[/key=value...]` (core.labs.runspec.GRAMMAR)."""
    return runspec.parse_run(text, PRESETS)


@dataclass(frozen=True)
class Config(Fit, Shape, Shared):
    runs: tuple = param(("sigmoid-glorot", "tanh-naive", "relu-naive", "relu-he"),
                        "configurations side by side: preset keys or " + runspec.GRAMMAR,
                        label="Configurations (side by side)", lo=1, hi=MAX_RUNS,
                        fmt=lambda text: parse_run(text).label)
    depth: int = tweak(Shape, "depth", 20)
    optimizer: str = tweak(Fit, "optimizer", help="optimizer of every configuration without its own")
    lr: float = tweak(Fit, "lr", help="learning rate of every configuration without its own")
    epochs: int = tweak(Fit, "epochs", hi=100)

    def __post_init__(self) -> None:
        validate(self)
        for text in self.runs:
            parse_run(text)

    def specs(self) -> list[RunSpec]:
        return [parse_run(text) for text in self.runs]

    def labels(self) -> list[str]:
        return [s.label for s in self.specs()]


