"""One configuration of a deep MLP's training, as the labs that compare several side by side
(vanishing gradients, deep nets) name it: activation and initializer, then whatever is switched
on, in one text grammar `activation/init[/key=value...]` that links, the command line and job
keys share."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from core import activations, init, optim, schedules
from core.config import parse_scalar
from core.models import NORMS, MLPSpec

# key -> (RunSpec field, upper limit) for the numeric parts; each lies in 0..limit
NUMBERS = {"clip": ("clip", 100.0), "lr": ("lr", 100.0), "dropout": ("dropout_p", 0.9),
           "alpha_dropout": ("dropout_p", 0.9), "wd": ("weight_decay", 1.0), "l1": ("l1", 1.0), "l2": ("l2", 1.0),
           "maxnorm": ("max_norm", 100.0)}
NORM_WORDS = {"batchnorm_before": "batch norm before the activation", "batchnorm_after": "batch norm after it",
              "layernorm": "layer norm"}
GRAMMAR = ("activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..][/dropout=p or /alpha_dropout=p][/drop_last=n]"
           "[/wd=..][/l1=..][/l2=..][/maxnorm=..][/schedule=..]")


@dataclass(frozen=True)
class RunSpec:
    """One configuration of a side-by-side comparison."""

    label: str  # legend entry
    activation: str  # core.activations name
    init: str  # core.init name
    norm: str = "none"  # core.models.NORMS
    clip: float = 0.0  # gradient-norm clip; 0 = off
    optimizer: str = ""  # overrides the lab's optimizer when set
    lr: float = 0.0  # overrides the lab's learning rate when > 0
    dropout: str = "none"  # "none", "dropout" or "alpha_dropout"
    dropout_p: float = 0.0  # its rate
    dropout_last: int = 0  # dropout after the last this many hidden layers only; 0 = after every one
    weight_decay: float = 0.0  # L2 as weight decay, on the weights only
    l1: float = 0.0  # explicit L1 penalty on the weights
    l2: float = 0.0  # explicit L2 penalty on the weights
    max_norm: float = 0.0  # max-norm constraint on each unit's incoming weights; 0 = off
    schedule: str = "constant"  # core.schedules name, with its usual settings

    def text(self) -> str:
        """The spec as `activation/init[/key=value...]`, the form `parse_run` reads."""
        extra = [f"norm={self.norm}"] if self.norm != "none" else []
        extra += [f"clip={self.clip!r}"] if self.clip else []
        extra += [f"optimizer={self.optimizer}"] if self.optimizer else []
        extra += [f"lr={self.lr!r}"] if self.lr else []
        extra += [f"{self.dropout}={self.dropout_p!r}"] if self.dropout != "none" else []
        extra += [f"drop_last={self.dropout_last}"] if self.dropout_last else []
        for key in ("wd", "l1", "l2", "maxnorm"):
            value = getattr(self, NUMBERS[key][0])
            extra += [f"{key}={value!r}"] if value else []
        extra += [f"schedule={self.schedule}"] if self.schedule != "constant" else []
        return "/".join([self.activation, self.init, *extra])

    def mlp(self, depth: int, width: int) -> MLPSpec:
        return MLPSpec(depth, width, self.activation, init=self.init, norm=self.norm, dropout=self.dropout,
                       dropout_p=self.dropout_p, dropout_last=min(self.dropout_last, depth))

    def training(self, optimizer: str, lr: float) -> dict[str, Any]:
        """TrainSpec fields of this configuration (the lab's optimizer and rate unless it has its own).
        Weight decay takes the weights only (biases and normalization parameters sit in a group
        without it); 0 leaves the optimizer's own default (AdamW's 0.01), on the weights only too."""
        return {"optimizer": self.optimizer or optimizer, "lr": self.lr or lr, "clip_norm": self.clip,
                "weight_decay": self.weight_decay or None, "decay_weights_only": True, "l1": self.l1, "l2": self.l2,
                "max_norm": self.max_norm, "schedule": self.schedule}


def describe(spec: RunSpec) -> str:
    """A legend entry in words: 'SELU + LeCun normal, alpha dropout 0.1, 1cycle'."""
    parts = [f"{activations.get(spec.activation).label} + {init.get(spec.init).label}"]
    parts += [NORM_WORDS[spec.norm]] if spec.norm != "none" else []
    if spec.dropout != "none":
        where = {0: "", 1: " before the output layer"}.get(spec.dropout_last,
                                                          f" after the last {spec.dropout_last} hidden layers")
        parts += [f"{spec.dropout.replace('_', ' ')} {spec.dropout_p:g}{where}"]
    words = {"weight_decay": "L2 decay", "l1": "L1", "l2": "L2 penalty", "max_norm": "max-norm", "clip": "clip"}
    parts += [f"{word} {getattr(spec, name):g}" for name, word in words.items() if getattr(spec, name)]
    parts += [f"optimizer {spec.optimizer}"] if spec.optimizer else []
    parts += [f"lr {spec.lr:g}"] if spec.lr else []
    parts += [schedules.get(spec.schedule).label] if spec.schedule != "constant" else []
    return ", ".join(parts)


def parse_run(text: str, presets: Mapping[str, RunSpec]) -> RunSpec:
    """A preset key, or `activation/init[/key=value...]` (see GRAMMAR)."""
    if text in presets:
        return presets[text]
    parts = text.split("/")
    if len(parts) < 2:
        raise ValueError(f"run {text!r} is neither a preset ({', '.join(presets)}) nor {GRAMMAR}")
    act, ini = parts[0], parts[1]
    activations.get(act), init.get(ini)
    kw: dict = {}
    for part in parts[2:]:
        key, eq, value = part.partition("=")
        if key == "norm" and eq and value in NORMS:
            kw["norm"] = value
        elif key in NUMBERS and eq:
            name, hi = NUMBERS[key]
            kw[name] = parse_scalar(float, value, f"{key} in run {text!r}")
            if not 0 <= kw[name] <= hi:
                raise ValueError(f"{key} in run {text!r} must be 0..{hi:g}, got {value}")
            if key in ("dropout", "alpha_dropout"):
                kw["dropout"] = key if kw[name] > 0 else "none"
        elif key == "drop_last" and eq:
            kw["dropout_last"] = parse_scalar(int, value, f"drop_last in run {text!r}")
            if not 0 <= kw["dropout_last"] <= 100:
                raise ValueError(f"drop_last in run {text!r} must be 0..100, got {value}")
        elif key == "optimizer" and eq:
            optim.get(value)
            kw["optimizer"] = value
        elif key == "schedule" and eq:
            schedules.get(value)
            kw["schedule"] = value
        else:
            raise ValueError(f"run {text!r}: unknown part {part!r}; use norm= ({', '.join(NORMS)}), clip=, "
                             "optimizer=, lr=, dropout=, alpha_dropout=, drop_last=, wd=, l1=, l2=, maxnorm=, schedule=")
    spec = RunSpec("", act, ini, **kw)
    return dataclasses.replace(spec, label=describe(spec))
