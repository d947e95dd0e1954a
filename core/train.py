"""The one training loop every lab uses. It yields a plain record per report.

No host sync per step: loss and correct counts are summed on the device and read once per
report. Reports come at every epoch end and, within an epoch, at most `report_seconds` apart.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from core import activations, optim, schedules
from core.data import Data, Split

Record = dict
MAX_EPOCHS = 200
SATURATION_EPS = 0.01  # a bounded unit within this of a bound counts as saturated
PROBE_SIZE = 512  # validation examples used for activation statistics


@dataclass(frozen=True)
class TrainSpec:
    epochs: int = 5  # passes over the train split, 1..200
    batch_size: int = 32  # examples per optimizer step
    optimizer: str = "sgd"  # core.optim name
    lr: float = 0.05  # base learning rate
    weight_decay: float = 0.0  # L2 coefficient passed to the optimizer
    schedule: str = "constant"  # core.schedules name
    clip_norm: float = 0.0  # clip the global gradient norm to this; 0 = off
    patience: int = 0  # early stopping after this many epochs without a better val loss; 0 = off
    layer_stats: bool = True  # per-layer gradient norm, weight norm and update ratio
    track_activations: bool = False  # per-layer activation mean/std/saturation on a probe batch
    report_seconds: float = 1.0  # longest gap between reports within an epoch; 0 = epoch ends only
    seed: int = 0  # batch order and dropout masks

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be 1..{MAX_EPOCHS}, got {self.epochs}")
        if not 1 <= self.batch_size <= 65_536:
            raise ValueError(f"batch_size must be 1..65536, got {self.batch_size}")
        if not (0 < self.lr <= 100 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be in (0, 100], got {self.lr}")
        if self.weight_decay < 0 or self.clip_norm < 0 or self.patience < 0 or self.report_seconds < 0:
            raise ValueError("weight_decay, clip_norm, patience and report_seconds must be >= 0")
        optim.get(self.optimizer)
        schedules.get(self.schedule)


def linears(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in forward order (MLP exposes them; else module order)."""
    return list(getattr(model, "linears", None) or [m for m in model.modules() if isinstance(m, nn.Linear)])


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, split: Split, batch: int = 4096) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on `split`, in eval mode, one host read."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), device=data.device, dtype=torch.long)
    for i in range(0, len(split), batch):
        logits = model(data.features(split.x[i:i + batch]))
        y = split.y[i:i + batch]
        loss_sum += F.cross_entropy(logits, y, reduction="sum")
        correct += (logits.argmax(1) == y).sum()
    model.train(was_training)
    loss, acc = torch.stack([loss_sum, correct.float()]).div(max(1, len(split))).tolist()
    return loss, acc


@torch.no_grad()
def activation_stats(model: nn.Module, x: torch.Tensor, bounds: tuple[float, float] | None) -> list[dict]:
    """Per hidden layer: mean, std, share of dead units and (bounded activations) of saturated ones."""
    was_training = model.training
    model.eval()
    captured: list[torch.Tensor] = []
    model(x, capture=captured)
    model.train(was_training)
    if not captured:
        return []
    h = torch.stack(captured)  # (L, B, W)
    # dead: share of units never positive on the probe (for ReLU-like units: never active)
    rows = [h.mean((1, 2)), h.std((1, 2)), h.amax(1).le(0).float().mean(1)]
    if bounds is not None:
        lo, hi = bounds
        rows.append(((h - lo).abs().lt(SATURATION_EPS) | (hi - h).abs().lt(SATURATION_EPS)).float().mean((1, 2)))
    table = torch.stack(rows).T.tolist()  # (L, 3 or 4)
    keys = ["act_mean", "act_std", "dead", "saturated"]
    return [dict(zip(keys, row)) for row in table]


class _Layers:
    """Per-layer gradient norm, weight norm and |ΔW|/|W| for the report step."""

    def __init__(self, layers: list[nn.Linear]) -> None:
        self.weights = [l.weight for l in layers]
        self.before: list[torch.Tensor] = []

    def snapshot(self) -> None:
        self.before = [w.detach().clone() for w in self.weights]

    def measure(self) -> torch.Tensor:
        """(L, 3) tensor: grad norm, weight norm, update ratio (after the optimizer step)."""
        grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in self.weights]
        g = torch.stack([torch.linalg.vector_norm(t) for t in grads])
        w = torch.stack([torch.linalg.vector_norm(t.detach()) for t in self.weights])
        dw = torch.stack([torch.linalg.vector_norm(a.detach() - b) for a, b in zip(self.weights, self.before)])
        return torch.stack([g, w, dw / w.clamp_min(1e-30)], 1)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _model_bounds(model: nn.Module) -> tuple[float, float] | None:
    spec = getattr(model, "spec", None)
    return activations.get(spec.activation).bounds if spec is not None else None


def train(model: nn.Module, data: Data, spec: TrainSpec, *,
          stop: Callable[[], bool] | None = None) -> Iterator[Record]:
    """Train `model` on `data`, yielding a record per report; the last record's status is
    "done", "diverged", "early_stopped" or "cancelled" (every other record: "running")."""
    device = data.device
    model.train()
    if any(isinstance(m, (nn.Dropout, nn.AlphaDropout)) for m in model.modules()):
        torch.manual_seed(spec.seed)  # dropout masks draw from the global generator
    params = [p for p in model.parameters() if p.requires_grad]
    opt = optim.build(spec.optimizer, params, lr=spec.lr, weight_decay=spec.weight_decay)
    n = len(data.train)
    steps_per_epoch = math.ceil(n / spec.batch_size)
    total_steps = spec.epochs * steps_per_epoch
    sched_spec = schedules.get(spec.schedule)
    scheduler = schedules.build(spec.schedule, opt, epochs=spec.epochs, steps_per_epoch=steps_per_epoch)
    layers = _Layers(linears(model)) if spec.layer_stats else None
    bounds = _model_bounds(model)
    probe = data.features(data.valid.x[:PROBE_SIZE]) if spec.track_activations else None
    gen = torch.Generator().manual_seed(spec.seed)  # batch order, on the CPU for every device

    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen_since = 0
    step = samples = 0
    start = last_report = time.perf_counter()
    best = (math.inf, None, 0)  # (val loss, state dict, epoch)
    bad_epochs = 0
    grad_norm = torch.zeros((), device=device)
    rec: Record | None = None  # the latest report

    def report(epoch_float: float, epoch_end: bool, layer_table: torch.Tensor | None) -> Record:
        nonlocal loss_sum, correct, seen_since, last_report
        train_loss, train_acc = torch.stack([loss_sum, correct.float()]).div(max(1, seen_since)).tolist()
        rec: Record = {
            "epoch": round(epoch_float, 4), "epoch_end": epoch_end, "step": step, "samples": samples,
            "train_loss": _finite(train_loss), "train_acc": train_acc,
            "lr": float(opt.param_groups[0]["lr"]), "time": time.perf_counter() - start,
            "progress": step / total_steps, "status": "running",
        }
        if not math.isfinite(train_loss):
            rec.update(val_loss=None, val_acc=None, grad_norm=None, layers=[])
            return rec
        rec["val_loss"], rec["val_acc"] = evaluate(model, data, data.valid)
        rec["val_loss"] = _finite(rec["val_loss"])
        rec["grad_norm"] = _finite(float(grad_norm))
        rec["layers"] = _layer_rows(layer_table, model, bounds, probe)
        loss_sum.zero_(), correct.zero_()
        seen_since, last_report = 0, time.perf_counter()
        return rec

    rec = _initial_report(model, data, spec, opt, layers, bounds, probe, start)
    if rec["train_loss"] is None or rec["val_loss"] is None:
        yield _final(rec, "diverged", "diverged at initialization: the loss overflowed", diverged_epoch=0)
        return
    yield rec
    for epoch in range(spec.epochs):
        perm = torch.randperm(n, generator=gen).to(device)
        for b in range(steps_per_epoch):
            if stop is not None and stop():
                base = rec or {"epoch": 0.0, "epoch_end": False, "step": 0, "samples": 0,
                               "time": 0.0, "progress": 0.0, "layers": []}
                yield _final(dict(base, time=time.perf_counter() - start), "cancelled",
                             f"cancelled at epoch {epoch + 1}")
                return
            last = b == steps_per_epoch - 1
            # A time-based report needs the epoch's last tenth still ahead, so the epoch-end
            # report that follows averages more than a batch or two.
            reporting = last or (spec.report_seconds > 0 and b < steps_per_epoch - max(2, steps_per_epoch // 10)
                                 and time.perf_counter() - last_report >= spec.report_seconds)
            idx = perm[b * spec.batch_size:(b + 1) * spec.batch_size]
            xb, yb = data.features(data.train.x[idx]), data.train.y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if spec.clip_norm > 0:
                grad_norm = nn.utils.clip_grad_norm_(params, spec.clip_norm, foreach=True)  # norm before clipping
            elif reporting:
                grad_norm = nn.utils.get_total_norm([p.grad for p in params if p.grad is not None], foreach=True)
            layer_table = None
            if reporting and layers is not None:
                layers.snapshot()
            opt.step()
            if scheduler is not None and sched_spec.interval == "batch":
                scheduler.step()
            if reporting and layers is not None:
                layer_table = layers.measure()
            loss_sum += loss.detach() * len(yb)
            correct += (logits.argmax(1) == yb).sum()
            seen_since += len(yb)
            samples += len(yb)
            step += 1
            if not reporting:
                continue
            rec = report(epoch + (b + 1) / steps_per_epoch, last, layer_table)
            if rec["train_loss"] is None or rec["val_loss"] is None:
                yield _final(rec, "diverged", f"diverged at epoch {epoch + 1}", diverged_epoch=epoch + 1)
                return
            if not last:
                yield rec
        # epoch end: rec is the epoch's last report
        if scheduler is not None and sched_spec.interval == "epoch":
            scheduler.step(rec["val_loss"]) if sched_spec.needs_metric else scheduler.step()
        if spec.patience:
            if rec["val_loss"] < best[0] - 1e-6:
                best, bad_epochs = (rec["val_loss"], copy.deepcopy(model.state_dict()), epoch + 1), 0
            else:
                bad_epochs += 1
            if bad_epochs >= spec.patience:
                yield rec
                model.load_state_dict(best[1])
                rec = dict(rec, val_loss=None, val_acc=None)
                rec["val_loss"], rec["val_acc"] = evaluate(model, data, data.valid)
                yield _final(rec, "early_stopped",
                             f"stopped early at epoch {epoch + 1}; restored the weights of epoch {best[2]}")
                return
        if epoch == spec.epochs - 1:
            yield _final(rec, "done", f"finished {spec.epochs} epochs")
            return
        yield rec


def _initial_report(model: nn.Module, data: Data, spec: TrainSpec, opt: torch.optim.Optimizer,
                    layers: _Layers | None, bounds, probe, start: float) -> Record:
    """Epoch 0: the state at initialization, with gradients of the first train examples.

    Buffers (batch-norm running statistics) are restored so this look changes nothing.
    """
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    xb, yb = data.features(data.train.x[:spec.batch_size]), data.train.y[:spec.batch_size]
    logits = model(xb)
    loss = F.cross_entropy(logits, yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    table, grad_norm = None, nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])
    if layers is not None:
        layers.snapshot()
        table = layers.measure()  # no step taken: update ratio 0
    opt.zero_grad(set_to_none=True)
    model.load_state_dict(buffers, strict=False)
    train_loss, train_acc, gn = torch.stack([loss.detach(), (logits.argmax(1) == yb).float().mean(),
                                             grad_norm]).tolist()
    val_loss, val_acc = evaluate(model, data, data.valid)
    rec: Record = {
        "epoch": 0.0, "epoch_end": True, "step": 0, "samples": 0, "train_loss": _finite(train_loss),
        "train_acc": train_acc, "val_loss": _finite(val_loss), "val_acc": val_acc,
        "lr": float(opt.param_groups[0]["lr"]), "time": time.perf_counter() - start,
        "progress": 0.0, "status": "running", "grad_norm": _finite(gn),
    }
    rec["layers"] = _layer_rows(table, model, bounds, probe) if rec["val_loss"] is not None else []
    return rec


def _final(rec: Record, status: str, message: str, **extra) -> Record:
    return {**rec, "status": status, "message": message, **extra}


def _layer_rows(table: torch.Tensor | None, model: nn.Module, bounds, probe) -> list[dict]:
    rows: list[dict] = []
    if table is not None:
        for i, (g, w, r) in enumerate(table.tolist()):
            rows.append({"layer": i + 1, "grad_norm": g, "weight_norm": w, "update_ratio": r})
    if probe is not None:
        for i, stats in enumerate(activation_stats(model, probe, bounds)):
            if i < len(rows):
                rows[i].update(stats)
            else:
                rows.append({"layer": i + 1, **stats})
    return rows
