"""The Vanishing-gradients lab's config: configurations side by side, as preset keys or specs."""
from __future__ import annotations

from dataclasses import dataclass

from core import activations, init, optim
from core.config import param, parse_scalar, tweak, validate
from core.labs.fields import Fit, Shape, Shared
from core.models import NORMS

MAX_RUNS = 10


@dataclass(frozen=True)
class RunSpec:
    """One configuration of the side-by-side comparison."""

    label: str  # legend entry
    activation: str  # core.activations name
    init: str  # core.init name
    norm: str = "none"  # core.models.NORMS
    clip: float = 0.0  # gradient-norm clip; 0 = off
    optimizer: str = ""  # overrides the lab's optimizer when set
    lr: float = 0.0  # overrides the lab's learning rate when > 0

    def text(self) -> str:
        """The spec as `activation/init[/key=value...]`, the form `parse_run` reads."""
        extra = [f"norm={self.norm}"] if self.norm != "none" else []
        extra += [f"clip={self.clip!r}"] if self.clip else []
        extra += [f"optimizer={self.optimizer}"] if self.optimizer else []
        extra += [f"lr={self.lr!r}"] if self.lr else []
        return "/".join([self.activation, self.init, *extra])


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
    """A preset key, or `activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..]`."""
    if text in PRESETS:
        return PRESETS[text]
    parts = text.split("/")
    if len(parts) < 2:
        raise ValueError(f"run {text!r} is neither a preset ({', '.join(PRESETS)}) "
                         "nor activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..]")
    act, ini = parts[0], parts[1]
    activations.get(act), init.get(ini)
    kw: dict = {}
    for part in parts[2:]:
        key, eq, value = part.partition("=")
        if key == "norm" and eq and value in NORMS:
            kw["norm"] = value
        elif key in ("clip", "lr") and eq:
            kw[key] = parse_scalar(float, value, f"{key} in run {text!r}")
            if not 0 <= kw[key] <= 100:
                raise ValueError(f"{key} in run {text!r} must be 0..100, got {value}")
        elif key == "optimizer" and eq:
            optim.get(value)
            kw["optimizer"] = value
        else:
            raise ValueError(f"run {text!r}: unknown part {part!r}; use norm= ({', '.join(NORMS)}), clip=, optimizer=, lr=")
    label = f"{activations.get(act).label} + {init.get(ini).label}"
    label += "".join(f", {k} {v:g}" if isinstance(v, float) else f", {k} {v}" for k, v in kw.items())
    return RunSpec(label, act, ini, **kw)


@dataclass(frozen=True)
class Config(Fit, Shape, Shared):
    runs: tuple = param(("sigmoid-glorot", "tanh-naive", "relu-naive", "relu-he"),
                        "configurations side by side: preset keys or "
                        "activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..]",
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


