"""The learning-rate range test ("LR finder"): raise the learning rate exponentially over N
batches, watch the loss, and suggest a rate; the model and optimizer are restored afterwards.

Smith (2015), "Cyclical Learning Rates for Training Neural Networks", section 3.3; the smoothing
and the stop at a multiple of the best loss follow fastai's `lr_find`.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core import models, optim
from core.data import Data

EXPLANATIONS = {
    "steepest": "where the smoothed loss falls fastest per decade of learning rate: the most progress per step "
                "while training is still stable",
    "min_div_10": "a tenth of the rate at the lowest smoothed loss: a decade below where the loss turns "
                  "and blows up, a safe margin for a fixed rate (and a good 1cycle max_lr is near the minimum)",
}
LABELS = {"steepest": "steepest descent", "min_div_10": "minimum ÷ 10"}


@dataclass(frozen=True)
class FinderSpec:
    start: float = 1e-6  # first learning rate
    end: float = 10.0  # last learning rate, if the loss has not blown up before
    steps: int = 100  # batches, one learning rate each, spaced evenly on a log scale
    batch_size: int = 32
    smoothing: float = 0.95  # exponential moving average of the loss, bias-corrected (a ~20-batch window)
    blowup: float = 4.0  # stop once the smoothed loss exceeds this multiple of its minimum
    optimizer: str = "sgd"
    optimizer_settings: tuple = ()  # (name, value) pairs, e.g. (("momentum", 0.9),)
    seed: int = 0  # batch order

    def __post_init__(self) -> None:
        if not (0 < self.start < self.end <= 1e3) or not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise ValueError(f"need 0 < start < end <= 1000, got start={self.start}, end={self.end}")
        if not 5 <= self.steps <= 2000:
            raise ValueError(f"steps must be 5..2000, got {self.steps}")
        if not 0 <= self.smoothing < 1 or not self.blowup > 1:
            raise ValueError("smoothing must be in [0, 1) and blowup above 1")
        optim.get(self.optimizer)

    def lr_at(self, i: int) -> float:
        return self.start * (self.end / self.start) ** (i / (self.steps - 1))


def suggest(lrs: list[float], smoothed: list[float]) -> dict[str, float]:
    """Suggested rates from a range test: 'steepest' (most negative slope of the smoothed loss
    against log10 lr, before its minimum, skipping the noisy first tenth) and 'min_div_10'."""
    if len(lrs) < 5:
        return {}
    loss = np.asarray(smoothed, dtype=float)
    logs = np.log10(np.asarray(lrs, dtype=float))
    low = int(np.nanargmin(loss))
    out = {"min_div_10": float(lrs[low]) / 10}
    first = max(1, len(lrs) // 10)
    if low - first >= 2:
        slope = np.gradient(loss[: low + 1], logs[: low + 1])
        out["steepest"] = float(lrs[first + int(np.argmin(slope[first:]))])
    return out


def range_test(model: nn.Module, data: Data, spec: FinderSpec, *, optimizer: torch.optim.Optimizer | None = None,
               stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """Yield a record per batch (lr, loss, smoothed loss), then one "result" record with the
    suggestions; afterwards the model's weights and buffers, the optimizer's state and its
    dropout layers' random state are as before, even when stopped or failed. Dropout masks come
    from the model's own generator (seeded from spec.seed here), never torch's global one."""
    opt = optimizer or optim.build(spec.optimizer, model.parameters(), lr=spec.start, **dict(spec.optimizer_settings))
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    drops = models.dropout_layers(model)
    saved_gens = [d.generator for d in drops]
    models.use_generator(model, models.job_generator(spec.seed, data.device))
    was_training = model.training
    gen = torch.Generator().manual_seed(spec.seed)
    n = len(data.train)
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    reason = f"reached the end rate {spec.end:g}"
    try:
        model.train()
        avg, best = 0.0, math.inf
        perm = torch.randperm(n, generator=gen)
        at = 0
        for i in range(spec.steps):
            if stop is not None and stop():
                reason = "stopped"
                break
            if at + spec.batch_size > n:
                perm, at = torch.randperm(n, generator=gen), 0
            idx = perm[at:at + spec.batch_size].to(data.device)
            at += spec.batch_size
            lr = spec.lr_at(i)
            for group in opt.param_groups:
                group["lr"] = lr
            loss = F.cross_entropy(model(data.features(data.train.x[idx])), data.train.y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = loss.item()
            if not math.isfinite(value):
                reason = f"the loss overflowed at lr {lr:.3g}"
                break
            avg = spec.smoothing * avg + (1 - spec.smoothing) * value
            smooth = avg / (1 - spec.smoothing ** (i + 1))
            lrs.append(lr), losses.append(value), smoothed.append(smooth)
            best = min(best, smooth)
            yield {"kind": "finder", "step": i + 1, "lr": lr, "loss": value, "smoothed": smooth,
                   "progress": (i + 1) / spec.steps, "status": "running"}
            if i >= 5 and smooth > spec.blowup * best:
                reason = f"the smoothed loss passed {spec.blowup:g}× its minimum at lr {lr:.3g}"
                break
    finally:
        model.load_state_dict(saved_model)
        opt.load_state_dict(saved_opt)
        model.train(was_training)
        for d, g in zip(drops, saved_gens):
            d.generator = g
    picks = suggest(lrs, smoothed)
    yield {"kind": "result", "status": "done", "progress": 1.0, "suggestions": picks, "stopped": reason,
           "message": f"{len(lrs)} learning rates tried; {reason}"}
