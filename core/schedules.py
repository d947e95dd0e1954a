"""LR schedule registry: name -> spec building a torch scheduler and saying how it is stepped.

`interval` is "batch" (stepped after every optimizer step) or "epoch" (after every epoch);
ReduceLROnPlateau is stepped per epoch with the validation loss.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch.optim import lr_scheduler as sched

from core.registry import Registry

# build(optimizer, epochs, steps_per_epoch, params) -> scheduler or None (constant)
Builder = Callable[[torch.optim.Optimizer, int, int, dict[str, Any]], Any]


@dataclass(frozen=True)
class ScheduleSpec:
    label: str
    build: Builder
    interval: str  # "batch" or "epoch"
    params: dict[str, Any] = field(default_factory=dict)  # parameter -> default
    needs_metric: bool = False  # stepped with the validation loss


def _warmup_cosine(opt: torch.optim.Optimizer, epochs: int, spe: int, p: dict[str, Any]):
    total = max(1, epochs * spe)
    warm = max(1, int(p["warmup_fraction"] * total))

    def factor(step: int) -> float:  # multiplier of the base lr at optimizer step `step`
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    return sched.LambdaLR(opt, factor)


SCHEDULES: Registry[ScheduleSpec] = Registry("schedule")
SCHEDULES.add("constant", ScheduleSpec("Constant", lambda o, e, s, p: None, "epoch"))
SCHEDULES.add("step", ScheduleSpec(
    "Step decay", lambda o, e, s, p: sched.StepLR(o, p["step_size"], p["gamma"]), "epoch",
    {"step_size": 10, "gamma": 0.1}))
SCHEDULES.add("exponential", ScheduleSpec(
    "Exponential", lambda o, e, s, p: sched.ExponentialLR(o, p["gamma"]), "epoch", {"gamma": 0.9}))
SCHEDULES.add("cosine", ScheduleSpec(
    "Cosine", lambda o, e, s, p: sched.CosineAnnealingLR(o, max(1, e * s)), "batch"))
SCHEDULES.add("warmup_cosine", ScheduleSpec(
    "Linear warm-up + cosine", _warmup_cosine, "batch", {"warmup_fraction": 0.1}))
SCHEDULES.add("onecycle", ScheduleSpec(
    "1cycle", lambda o, e, s, p: sched.OneCycleLR(o, max_lr=[g["lr"] for g in o.param_groups],
                                                  total_steps=max(2, e * s)), "batch"))
SCHEDULES.add("plateau", ScheduleSpec(
    "ReduceLROnPlateau", lambda o, e, s, p: sched.ReduceLROnPlateau(o, factor=p["factor"], patience=p["patience"]),
    "epoch", {"factor": 0.5, "patience": 2}, needs_metric=True))


def get(name: str) -> ScheduleSpec:
    return SCHEDULES.get(name)


def names() -> list[str]:
    return SCHEDULES.names()


def build(name: str, optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int,
          **params: Any):
    """Scheduler for `name` on `optimizer` (None for constant); unknown parameters raise."""
    spec = SCHEDULES.get(name)
    unknown = set(params) - set(spec.params)
    if unknown:
        raise ValueError(f"schedule {name!r} takes {sorted(spec.params) or 'no parameters'}, not {sorted(unknown)}")
    return spec.build(optimizer, epochs, steps_per_epoch, {**spec.params, **params})
