"""Learning-rate schedules: a registry of PyTorch schedulers, how each is stepped, and the same
curves as pure formulas.

A schedule is stepped once per *tick*: after every optimizer step ("batch") or after every epoch
("epoch"). Durations are given in epochs whatever the interval (a 2-epoch step size is 2 ticks
per epoch or 2 × steps-per-epoch ticks per batch), and exponential decay's gamma is per epoch
(per batch it is gamma^(1/steps_per_epoch)), so switching the interval shows the same schedule
as a staircase or a smooth curve, which is exactly the difference it makes in training.

`build` returns a `Scheduler` that training drives with `after_batch()` and
`after_epoch(val_loss)`; `curve` steps it on a dummy optimizer to draw what training will do;
`formula` computes the same learning rates in closed form (or, for ReduceLROnPlateau, by its
rule), without torch. The tests hold the two equal step for step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch.optim import lr_scheduler as sched

from core import settings as text_settings
from core.registry import Registry

BATCH, EPOCH = "batch", "epoch"
MAX_PREVIEW_STEPS = 200_000  # optimizer steps a preview may step through


@dataclass(frozen=True)
class Param:
    """A schedule parameter: default, limits, meaning (with unit), and how a slider moves."""

    default: Any
    lo: float
    hi: float
    help: str
    log: bool = False  # a slider over powers of ten
    integer: bool = False


@dataclass(frozen=True)
class Ticks:
    """How a schedule is stepped in one training: ticks per epoch and in all."""

    epochs: int
    steps_per_epoch: int
    interval: str

    @property
    def per_epoch(self) -> int:
        return self.steps_per_epoch if self.interval == BATCH else 1

    @property
    def total(self) -> int:
        return max(1, self.epochs * self.per_epoch)

    def of(self, epochs: float) -> int:
        """A duration in epochs as a whole number of ticks, at least 1."""
        return max(1, round(epochs * self.per_epoch))


class Scheduler:
    """One torch scheduler and when to step it: `after_batch` after every optimizer step,
    `after_epoch(val_loss)` after every epoch's validation."""

    def __init__(self, optimizer: torch.optim.Optimizer, scheduler: Any, interval: str, needs_metric: bool) -> None:
        self.optimizer, self.scheduler, self.interval, self.needs_metric = optimizer, scheduler, interval, needs_metric

    def after_batch(self) -> None:
        if self.scheduler is not None and self.interval == BATCH:
            self.scheduler.step()

    def after_epoch(self, val_loss: float | None) -> None:
        if self.scheduler is None or self.interval != EPOCH:
            return
        if self.needs_metric:
            if val_loss is not None and math.isfinite(val_loss):
                self.scheduler.step(val_loss)
        else:
            self.scheduler.step()

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


class WarmupThenPlateau(Scheduler):
    """Linear warm-up stepped per batch, then ReduceLROnPlateau stepped per epoch on the
    validation loss, counting only epochs that end after the warm-up."""

    def __init__(self, optimizer: torch.optim.Optimizer, warm_ticks: int, start_factor: float,
                 plateau: dict[str, Any]) -> None:
        super().__init__(optimizer, None, BATCH, True)
        self.warm = sched.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warm_ticks)
        self.plateau = sched.ReduceLROnPlateau(optimizer, **plateau)
        self.warm_ticks, self.ticks = warm_ticks, 0

    def after_batch(self) -> None:
        if self.ticks < self.warm_ticks:
            self.warm.step()
        self.ticks += 1

    def after_epoch(self, val_loss: float | None) -> None:
        if self.ticks >= self.warm_ticks and val_loss is not None and math.isfinite(val_loss):
            self.plateau.step(val_loss)


# build(optimizer, ticks, params) -> Scheduler; formula(base_lr, ticks, params, losses) -> lr per optimizer step
Builder = Callable[[torch.optim.Optimizer, Ticks, dict[str, Any]], Scheduler]
Formula = Callable[[float, Ticks, dict[str, Any], Sequence[float]], list[float]]


@dataclass(frozen=True)
class ScheduleSpec:
    label: str
    build: Builder
    formula: Formula
    intervals: tuple[str, ...]  # how it may be stepped; the first is the default
    params: dict[str, Param] = field(default_factory=dict)
    needs_metric: bool = False  # reads the validation loss at epoch ends
    torch_name: str = ""  # the PyTorch scheduler(s) behind it, for the page
    note: str = ""  # one line on what it does

    @property
    def interval(self) -> str:
        return self.intervals[0]


def _plain(make: Callable[[torch.optim.Optimizer, Ticks, dict[str, Any]], Any], metric: bool = False) -> Builder:
    def build(opt: torch.optim.Optimizer, ticks: Ticks, p: dict[str, Any]) -> Scheduler:
        return Scheduler(opt, make(opt, ticks, p), ticks.interval, metric)
    return build


def _per_step(tick_lr: Callable[[float, Ticks, dict[str, Any], int], float]) -> Formula:
    """A formula from the lr after t ticks: spread over optimizer steps by the interval."""
    def formula(base: float, ticks: Ticks, p: dict[str, Any], losses: Sequence[float] = ()) -> list[float]:
        out = []
        for s in range(ticks.epochs * ticks.steps_per_epoch):
            t = s if ticks.interval == BATCH else s // ticks.steps_per_epoch
            out.append(tick_lr(base, ticks, p, t))
        return out
    return formula


def _milestones(p: dict[str, Any]) -> list[float]:
    return sorted(float(m) for m in p["milestones"])


def _cosine(lo: float, hi: float, frac: float) -> float:
    return lo + (hi - lo) * (1 + math.cos(math.pi * frac)) / 2


def _restart_position(t: int, t0: int, mult: int) -> tuple[int, int]:
    """(ticks into the current cycle, that cycle's length) after t ticks, as torch counts."""
    cur, length = 0, t0
    for _ in range(t):
        cur += 1
        if cur >= length:
            cur -= length
            length *= mult
    return cur, length


def _noam(d_model: float, warm: int, t: int) -> float:
    step = t + 1  # the Transformer paper counts steps from 1
    return d_model ** -0.5 * min(step ** -0.5, step * warm ** -1.5)


def _onecycle_lr(base: float, total: int, p: dict[str, Any], t: int) -> float:
    initial = base / p["div_factor"]
    low = initial / p["final_div_factor"]
    up_end = float(p["pct_start"] * total) - 1
    down_end = float(total - 1)
    if t <= up_end:
        return _cosine(base, initial, t / up_end) if up_end > 0 else base
    return _cosine(low, base, (t - up_end) / (down_end - up_end))


def _plateau_rule(lr: float, losses: Sequence[float], p: dict[str, Any], state: dict[str, Any]) -> float:
    """ReduceLROnPlateau's rule (mode min, relative threshold) over one epoch's loss."""
    for loss in losses:
        if loss < state["best"] * (1 - p["threshold"]):
            state["best"], state["bad"] = loss, 0
        else:
            state["bad"] += 1
        if state["cooldown"] > 0:
            state["cooldown"] -= 1
            state["bad"] = 0
        if state["bad"] > p["patience"]:
            new = max(lr * p["factor"], p["min_lr"])
            if lr - new > 1e-8:
                lr = new
            state["cooldown"], state["bad"] = p["cooldown"], 0
    return lr


def _plateau_state() -> dict[str, Any]:
    return {"best": math.inf, "bad": 0, "cooldown": 0}


def _plateau_formula(base: float, ticks: Ticks, p: dict[str, Any], losses: Sequence[float] = ()) -> list[float]:
    lr, state, out = base, _plateau_state(), []
    for e in range(ticks.epochs):
        out += [lr] * ticks.steps_per_epoch
        if e < len(losses):
            lr = _plateau_rule(lr, [losses[e]], _plateau_args(p), state)
    return out


def _plateau_args(p: dict[str, Any]) -> dict[str, Any]:
    return {"factor": p["factor"], "patience": int(p["patience"]), "threshold": p["threshold"],
            "cooldown": int(p["cooldown"]), "min_lr": p["min_lr"]}


def _warmup_plateau_build(opt: torch.optim.Optimizer, ticks: Ticks, p: dict[str, Any]) -> Scheduler:
    return WarmupThenPlateau(opt, ticks.of(p["warmup"]), p["start_factor"], _plateau_args(p))


def _warmup_plateau_formula(base: float, ticks: Ticks, p: dict[str, Any], losses: Sequence[float] = ()) -> list[float]:
    warm, s0 = ticks.of(p["warmup"]), p["start_factor"]
    lr, state, out, t = base, _plateau_state(), [], 0
    for e in range(ticks.epochs):
        for _ in range(ticks.steps_per_epoch):
            out.append(base * (s0 + (1 - s0) * t / warm) if t < warm else lr)
            t += 1
        if t >= warm and e < len(losses):
            lr = _plateau_rule(lr, [losses[e]], _plateau_args(p), state)
    return out


def _warmup_cosine_build(opt: torch.optim.Optimizer, ticks: Ticks, p: dict[str, Any]) -> Scheduler:
    warm = min(ticks.of(p["warmup"]), ticks.total - 1) if ticks.total > 1 else 1
    base = opt.param_groups[0]["lr"]
    parts = [sched.LinearLR(opt, start_factor=p["start_factor"], end_factor=1.0, total_iters=warm),
             sched.CosineAnnealingLR(opt, T_max=max(1, ticks.total - warm), eta_min=p["min_factor"] * base)]
    return Scheduler(opt, sched.SequentialLR(opt, parts, milestones=[warm]), ticks.interval, False)


def _warmup_cosine_lr(base: float, ticks: Ticks, p: dict[str, Any], t: int) -> float:
    warm = min(ticks.of(p["warmup"]), ticks.total - 1) if ticks.total > 1 else 1
    if t < warm:
        return base * (p["start_factor"] + (1 - p["start_factor"]) * t / warm)
    return _cosine(p["min_factor"] * base, base, (t - warm) / max(1, ticks.total - warm))


def _onecycle_build(opt: torch.optim.Optimizer, ticks: Ticks, p: dict[str, Any]) -> Scheduler:
    defaults = opt.defaults
    # cycling momentum needs a momentum to cycle; plain SGD (momentum 0) keeps none
    cycle = bool(p["cycle_momentum"]) and ("betas" in defaults or defaults.get("momentum", 0) > 0)
    return Scheduler(opt, sched.OneCycleLR(
        opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=max(2, ticks.total), pct_start=p["pct_start"],
        div_factor=p["div_factor"], final_div_factor=p["final_div_factor"], cycle_momentum=cycle), ticks.interval, False)


_GAMMA = Param(0.9, 0.01, 1.0, "multiplier per epoch")
_WARMUP = Param(1.0, 0.0, 50.0, "warm-up length (epochs)")
_START = Param(0.01, 1e-4, 1.0, "warm-up starts at this fraction of the learning rate", log=True)
_PLATEAU = {"factor": Param(0.5, 0.01, 0.99, "multiplier when the loss stops improving"),
            "patience": Param(2, 0, 20, "epochs without improvement before cutting", integer=True),
            "threshold": Param(1e-4, 1e-6, 0.5, "relative improvement that counts", log=True),
            "cooldown": Param(0, 0, 20, "epochs to wait after a cut", integer=True),
            "min_lr": Param(0.0, 0.0, 1.0, "floor for the learning rate")}

SCHEDULES: Registry[ScheduleSpec] = Registry("schedule")
SCHEDULES.add("constant", ScheduleSpec(
    "Constant", _plain(lambda o, k, p: None), _per_step(lambda b, k, p, t: b), (EPOCH, BATCH),
    note="the same rate throughout"))
SCHEDULES.add("step", ScheduleSpec(
    "Step decay", _plain(lambda o, k, p: sched.StepLR(o, k.of(p["step_size"]), p["gamma"])),
    _per_step(lambda b, k, p, t: b * p["gamma"] ** (t // k.of(p["step_size"]))), (EPOCH, BATCH),
    {"step_size": Param(3.0, 0.1, 100.0, "epochs between cuts"), "gamma": Param(0.5, 0.01, 1.0, "multiplier at each cut")},
    torch_name="StepLR", note="multiply by gamma every step_size epochs"))
SCHEDULES.add("multistep", ScheduleSpec(
    "Multistep", _plain(lambda o, k, p: sched.MultiStepLR(o, [k.of(m) for m in _milestones(p)], p["gamma"])),
    _per_step(lambda b, k, p, t: b * p["gamma"] ** sum(k.of(m) <= t for m in _milestones(p))), (EPOCH, BATCH),
    {"milestones": Param((5.0, 8.0), 0.1, 1000.0, "epochs at which to cut"), "gamma": Param(0.1, 0.01, 1.0, "multiplier at each cut")},
    torch_name="MultiStepLR", note="multiply by gamma at each milestone"))
SCHEDULES.add("exponential", ScheduleSpec(
    "Exponential", _plain(lambda o, k, p: sched.ExponentialLR(o, p["gamma"] ** (1 / k.per_epoch))),
    _per_step(lambda b, k, p, t: b * (p["gamma"] ** (1 / k.per_epoch)) ** t), (EPOCH, BATCH), {"gamma": _GAMMA},
    torch_name="ExponentialLR", note="multiply by gamma every epoch (its root every batch)"))
SCHEDULES.add("polynomial", ScheduleSpec(
    "Polynomial (power)", _plain(lambda o, k, p: sched.PolynomialLR(o, total_iters=k.total, power=p["power"])),
    _per_step(lambda b, k, p, t: b * (1 - min(t, k.total) / k.total) ** p["power"]), (BATCH, EPOCH),
    {"power": Param(1.0, 0.1, 5.0, "exponent; 1 is a straight line to zero")},
    torch_name="PolynomialLR", note="(1 − t/T)^power down to zero at the end"))
SCHEDULES.add("cosine", ScheduleSpec(
    "Cosine", _plain(lambda o, k, p: sched.CosineAnnealingLR(o, T_max=k.total, eta_min=p["min_factor"] * o.param_groups[0]["lr"])),
    _per_step(lambda b, k, p, t: _cosine(p["min_factor"] * b, b, t / k.total)), (BATCH, EPOCH),
    {"min_factor": Param(0.0, 0.0, 1.0, "floor as a fraction of the learning rate")},
    torch_name="CosineAnnealingLR", note="half a cosine from the rate to the floor"))
SCHEDULES.add("cosine_restarts", ScheduleSpec(
    "Cosine with warm restarts", _plain(lambda o, k, p: sched.CosineAnnealingWarmRestarts(
        o, T_0=k.of(p["T_0"]), T_mult=int(p["T_mult"]), eta_min=p["min_factor"] * o.param_groups[0]["lr"])),
    _per_step(lambda b, k, p, t: _cosine(p["min_factor"] * b, b, (lambda c, n: c / n)(
        *_restart_position(t, k.of(p["T_0"]), int(p["T_mult"]))))), (BATCH, EPOCH),
    {"T_0": Param(2.0, 0.1, 100.0, "first cycle (epochs)"), "T_mult": Param(2, 1, 4, "each cycle this many times longer", integer=True),
     "min_factor": Param(0.0, 0.0, 1.0, "floor as a fraction of the learning rate")},
    torch_name="CosineAnnealingWarmRestarts", note="SGDR: cosine cycles, each restarting at the full rate"))
SCHEDULES.add("warmup_cosine", ScheduleSpec(
    "Linear warm-up + cosine", _warmup_cosine_build, _per_step(_warmup_cosine_lr), (BATCH, EPOCH),
    {"warmup": _WARMUP, "start_factor": _START, "min_factor": Param(0.0, 0.0, 1.0, "floor as a fraction of the learning rate")},
    torch_name="SequentialLR(LinearLR, CosineAnnealingLR)", note="ramp up linearly, then half a cosine"))
SCHEDULES.add("onecycle", ScheduleSpec(
    "1cycle", _onecycle_build, _per_step(lambda b, k, p, t: _onecycle_lr(b, k.total, p, t)), (BATCH,),
    {"pct_start": Param(0.3, 0.05, 0.95, "share of the steps spent rising"),
     "div_factor": Param(25.0, 1.0, 1000.0, "starts at max_lr / div_factor", log=True),
     "final_div_factor": Param(1e4, 1.0, 1e6, "ends at the start / final_div_factor", log=True),
     "cycle_momentum": Param(True, 0, 1, "cycle momentum (or Adam's beta1) inversely, when the optimizer has one")},
    torch_name="OneCycleLR", note="up to the rate (max_lr) and down far below it, in one cycle"))
SCHEDULES.add("noam", ScheduleSpec(
    "Transformer (Noam)", _plain(lambda o, k, p: sched.LambdaLR(o, lambda t: _noam(p["d_model"], k.of(p["warmup"]), t))),
    _per_step(lambda b, k, p, t: b * _noam(p["d_model"], k.of(p["warmup"]), t)), (BATCH, EPOCH),
    {"d_model": Param(512, 16, 4096, "model width d_model; scales the whole curve by d_model^-0.5", integer=True),
     "warmup": _WARMUP},
    torch_name="LambdaLR (PyTorch has no Noam scheduler)",
    note="lr × d_model^-0.5 · min(step^-0.5, step · warmup^-1.5): linear rise, then 1/√step"))
SCHEDULES.add("plateau", ScheduleSpec(
    "ReduceLROnPlateau", _plain(lambda o, k, p: sched.ReduceLROnPlateau(o, **_plateau_args(p)), metric=True),
    _plateau_formula, (EPOCH,), dict(_PLATEAU), needs_metric=True,
    torch_name="ReduceLROnPlateau", note="cut by factor when the validation loss stops improving"))
SCHEDULES.add("warmup_plateau", ScheduleSpec(
    "Warm-up + ReduceLROnPlateau", _warmup_plateau_build, _warmup_plateau_formula, (BATCH,),
    {"warmup": _WARMUP, "start_factor": _START, **_PLATEAU}, needs_metric=True,
    torch_name="LinearLR per batch, then ReduceLROnPlateau per epoch",
    note="ramp up linearly per batch, then cut on plateaus"))


def get(name: str) -> ScheduleSpec:
    return SCHEDULES.get(name)


def names() -> list[str]:
    return SCHEDULES.names()


def resolve(name: str, params: dict[str, Any] | None = None, interval: str | None = None) -> tuple[dict[str, Any], str]:
    """The full parameter dict (defaults filled) and the interval; unknown or out-of-range
    values raise ValueError naming what is valid."""
    spec = SCHEDULES.get(name)
    params = dict(params or {})
    unknown = set(params) - set(spec.params)
    if unknown:
        raise ValueError(f"schedule {name!r} takes {sorted(spec.params) or 'no parameters'}, not {sorted(unknown)}")
    out = {k: params.get(k, p.default) for k, p in spec.params.items()}
    for k, value in out.items():
        p = spec.params[k]
        values = value if isinstance(value, tuple) else (value,)
        if not values or any(not (isinstance(v, (int, float)) and math.isfinite(v) and p.lo <= v <= p.hi) for v in values):
            raise ValueError(f"{name}: {k} must be {p.lo:g}..{p.hi:g} ({p.help}), got {value!r}")
    interval = interval or spec.interval
    if interval not in spec.intervals:
        raise ValueError(f"{spec.label} is stepped per {' or per '.join(spec.intervals)}, not per {interval}")
    return out, interval


def build(name: str, optimizer: torch.optim.Optimizer, *, epochs: int, steps_per_epoch: int,
          interval: str | None = None, **params: Any) -> Scheduler:
    """A Scheduler for `name` on `optimizer` (constant: one that never changes the rate)."""
    full, interval = resolve(name, params, interval)
    return SCHEDULES.get(name).build(optimizer, Ticks(epochs, steps_per_epoch, interval), full)


def curve(name: str, *, base_lr: float, epochs: int, steps_per_epoch: int, interval: str | None = None,
          losses: Sequence[float] = (), **params: Any) -> list[float]:
    """The learning rate of every optimizer step, from PyTorch's scheduler stepped on a dummy
    optimizer exactly as training steps it (`losses`: the validation loss after each epoch,
    for the schedules that read it)."""
    if epochs * steps_per_epoch > MAX_PREVIEW_STEPS:
        raise ValueError(f"{epochs} epochs of {steps_per_epoch} steps is more than {MAX_PREVIEW_STEPS:,} steps to preview")
    weight = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([weight], lr=base_lr, momentum=0.9)  # a momentum for 1cycle to cycle
    scheduler = build(name, opt, epochs=epochs, steps_per_epoch=steps_per_epoch, interval=interval, **params)
    out = []
    for e in range(epochs):
        for _ in range(steps_per_epoch):
            out.append(scheduler.lr)
            opt.step()  # no gradient: changes nothing, but keeps torch's step order
            scheduler.after_batch()
        scheduler.after_epoch(losses[e] if e < len(losses) else None)
    return out


def formula(name: str, *, base_lr: float, epochs: int, steps_per_epoch: int, interval: str | None = None,
            losses: Sequence[float] = (), **params: Any) -> list[float]:
    """The same learning rates as `curve`, from the schedule's closed form (no torch)."""
    full, interval = resolve(name, params, interval)
    return SCHEDULES.get(name).formula(base_lr, Ticks(epochs, steps_per_epoch, interval), full, losses)


def simulated_losses(epochs: int, *, plateau_at: float, seed: int = 0, noise: float = 0.01) -> list[float]:
    """A validation loss that falls until epoch `plateau_at` and then stays flat, with a little
    noise: what ReduceLROnPlateau is for, to show when it cuts."""
    gen = torch.Generator().manual_seed(seed)
    wiggle = (torch.rand(epochs, generator=gen) - 0.5).mul(2 * noise).tolist()
    out = []
    for e in range(1, epochs + 1):
        fall = 0.3 + 0.7 * math.exp(-min(e, plateau_at) / max(1.0, plateau_at / 3))
        out.append(fall * (1 + wiggle[e - 1]))
    return out


def parse_settings(settings: Sequence[str], names_: Sequence[str]) -> dict[str, dict[str, Any]]:
    """('onecycle:pct_start=0.25', 'exponential:interval=batch', 'multistep:milestones=3;6')
    -> {'onecycle': {'pct_start': 0.25}, ...}; 'interval' is kept as a key. Values are checked."""
    def defaults(name: str) -> dict[str, Any]:
        spec = SCHEDULES.get(name)
        return {"interval": spec.interval, **{k: p.default for k, p in spec.params.items()}}

    out = text_settings.parse(tuple(settings), tuple(names_), chosen="chosen", defaults=defaults)
    for name, own in out.items():
        resolve(name, {k: v for k, v in own.items() if k != "interval"}, own.get("interval"))
    return out
