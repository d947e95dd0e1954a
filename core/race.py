"""Many optimizers trained side by side in one vectorized pass.

K = entrants × seeds MLPs of one architecture keep their weights stacked, W_l: (K, in, out),
b_l: (K, 1, out), and run forward and backward together with batched matmuls. Each entrant
still steps with a real torch.optim (or pytorch-optimizer) instance: its parameters are leaf
tensors that alias its models' slices of the stacked weights, and their .grad are views of the
matching slices of the stacked gradient, so the optimizer updates the stack in place. Seeds of
one entrant share one optimizer, one parameter group per seed, so a fused kernel covers them.

Fairness: model (entrant, seed) starts from exactly build_mlp(seed)'s weights, and every model
sees the same batches in the same order. Dropout masks differ per model.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F

from core import activations, optim, schedules
from core.data import Data
from core.models import MLPSpec, build_mlp, dropout, job_generator

# The layers' leaves are strided views of the flat buffer, and so are their gradients, with the
# same strides: backward accumulates into them in place all the same, but warns once that such
# a parameter is not dense.
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")

VECTORIZED_NORMS = ("none",)  # batch/layer norm carry per-model modules: run those one by one


@dataclass(frozen=True)
class Entrant:
    """One optimizer in the race."""

    optimizer: str  # core.optim name
    lr: float  # learning rate
    hyper: tuple[tuple[str, Any], ...] = ()  # the optimizer's own settings, e.g. (("momentum", 0.9),)
    label: str = ""  # legend entry; the optimizer's label when empty
    schedule: str = "constant"  # core.schedules name
    schedule_settings: tuple = ()  # its parameters as (name, value) pairs, ("interval", ...) included

    @property
    def name(self) -> str:
        return self.label or optim.get(self.optimizer).label


def vectorizable(spec: MLPSpec) -> bool:
    """Whether `spec` can train stacked (no per-model normalization state)."""
    return spec.norm in VECTORIZED_NORMS


def stacks(optimizer: str) -> bool:
    """Whether `optimizer` can train stacked: not one that needs a second-order backward (Sophia-H),
    which does not go through the stacked gradient."""
    return not optim.get(optimizer).needs_hessian


def stacking_optimizers() -> list[str]:
    """The optimizers that can train stacked, in the registry's order."""
    return [n for n in optim.names() if stacks(n)]


@dataclass
class _Layer:
    weight: torch.Tensor  # (K, in, out) leaf viewing the flat buffer, requires grad
    bias: torch.Tensor | None  # (K, 1, out) leaf viewing the flat buffer, or None


class StackedMLPs:
    """K MLPs with stacked weights; model k is (entrant k // n_seeds, seed k % n_seeds).

    All weights live in one (K, P) buffer, P being one model's parameter count, and their
    gradients in a (K, P) buffer beside it; the layers' (K, in, out) leaves are views of it.
    An optimizer whose update is elementwise (`OptimizerSpec.elementwise`) steps one leaf per
    model, the model's whole row: one tensor instead of two per layer, so a foreach or fused
    step launches a fraction of the kernels. Others (LAMB's trust ratio is per tensor) step
    one leaf per layer and model, as they would in a single model.
    """

    def __init__(self, in_dim: int, out_dim: int, spec: MLPSpec, entrants: list[Entrant], seeds: list[int],
                 device: torch.device | str = "cpu") -> None:
        if not vectorizable(spec):
            raise ValueError(f"norm {spec.norm!r} cannot be stacked; vectorizable: {VECTORIZED_NORMS}")
        self.spec, self.entrants, self.seeds = spec, entrants, seeds
        self.k = len(entrants) * len(seeds)
        by_seed = [build_mlp(in_dim, out_dim, spec, seed=s) for s in seeds]  # the same start for everyone
        order = [by_seed[j] for _ in entrants for j in range(len(seeds))]  # (entrant, seed) -> model
        linears = [[m.linears[i] for m in order] for i in range(len(order[0].linears))]
        sizes = [(l[0].in_features, l[0].out_features, l[0].bias is not None) for l in linears]
        width = sum(i * o + (o if b else 0) for i, o, b in sizes)
        self.flat = torch.empty(self.k, width, device=device)
        self.flat_grad = torch.zeros(self.k, width, device=device)  # backward accumulates into it in place
        self.layers, at = [], 0
        for per_model, (i, o, has_bias) in zip(linears, sizes):
            w = self._leaf(at, (i, o), torch.stack([l.weight.detach().T for l in per_model]))
            at += i * o
            b = None
            if has_bias:
                b = self._leaf(at, (1, o), torch.stack([l.bias.detach()[None, :] for l in per_model]))
                at += o
            self.layers.append(_Layer(w, b))
        self.act = activations.make(spec.activation, **spec.act_params)
        self.generator = job_generator(seeds[0], device)  # dropout masks: the race's own, (K, B, W) per draw
        # Seeds of one entrant share its optimizer, a parameter group each, unless its schedule
        # reads the validation loss: each seed then needs its own scheduler, so its own optimizer.
        self.optimizers, self.members = [], []  # optimizer i steps models members[i], group j = members[i][j]
        for i, entrant in enumerate(entrants):
            models = [i * len(seeds) + j for j in range(len(seeds))]
            split = schedules.get(entrant.schedule).needs_metric
            for part in ([[k] for k in models] if split else [models]):
                self.optimizers.append(self._optimizer(entrant, part))
                self.members.append(part)
        self.schedulers: list[schedules.Scheduler] = []

    def _leaf(self, at: int, shape: tuple[int, int], value: torch.Tensor) -> torch.Tensor:
        """A (K, *shape) leaf viewing columns at.. of the flat buffer, set to `value`, its .grad
        the same view of the gradient buffer."""
        n = shape[0] * shape[1]
        leaf = self.flat[:, at:at + n].view(self.k, *shape)
        leaf.copy_(value)
        leaf.requires_grad_()
        leaf.grad = self.flat_grad[:, at:at + n].view(self.k, *shape)
        return leaf

    def _model_leaves(self, k: int, whole_row: bool) -> list[torch.Tensor]:
        if whole_row:
            return [_alias(self.flat, self.flat_grad, k)]
        return [_alias(t.detach(), t.grad, k) for layer in self.layers for t in (layer.weight, layer.bias)
                if t is not None]

    def _optimizer(self, entrant: Entrant, models: list[int]) -> torch.optim.Optimizer:
        whole_row = optim.get(entrant.optimizer).elementwise
        groups = [{"params": self._model_leaves(k, whole_row)} for k in models]
        return optim.build(entrant.optimizer, groups, lr=entrant.lr, **dict(entrant.hyper))

    def schedule(self, epochs: int, steps_per_epoch: int) -> None:
        """Give every optimizer its entrant's schedule for a training of this length."""
        n = len(self.seeds)
        self.schedulers = [schedules.build(self.entrants[models[0] // n].schedule, opt, epochs=epochs,
                                           steps_per_epoch=steps_per_epoch,
                                           **dict(self.entrants[models[0] // n].schedule_settings))
                           for opt, models in zip(self.optimizers, self.members)]

    def lrs(self) -> list[float]:
        """Each model's current learning rate."""
        out = [0.0] * self.k
        for opt, models in zip(self.optimizers, self.members):
            for group, k in zip(opt.param_groups, models):
                out[k] = float(group["lr"])
        return out

    def after_epoch(self, val_loss: list[float | None]) -> None:
        """Step the epoch-stepped schedules; those that read it get their model's validation loss."""
        for scheduler, models in zip(self.schedulers, self.members):
            scheduler.after_epoch(val_loss[models[0]])

    def forward(self, x: torch.Tensor, training: bool = True) -> torch.Tensor:
        """x: (B, in) shared by all models, or (K, B, in) a batch per model -> logits (K, B, out)."""
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.k, -1, -1)
        drop = self.spec.dropout_p if training and self.spec.dropout != "none" else 0.0
        for i, layer in enumerate(self.layers):
            z = torch.baddbmm(layer.bias, h, layer.weight) if layer.bias is not None else torch.bmm(h, layer.weight)
            if i == len(self.layers) - 1:
                return z
            h = self.act(z)
            if drop and self.spec.drops_after(i):
                h = dropout(h, drop, self.generator, alpha=self.spec.dropout == "alpha_dropout")
        raise AssertionError("an MLP has at least one layer")

    def losses(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(K, B, C) logits, (B,) labels shared or (K, B) per model -> (K,) mean cross-entropy per model."""
        k, b, c = logits.shape
        y = y.reshape(k * b) if y.dim() == 2 else y.repeat(k)
        return F.cross_entropy(logits.reshape(k * b, c), y, reduction="none").view(k, b).mean(1)

    def step(self, x: torch.Tensor, y: torch.Tensor, alive: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step for every model on the batch (x, y), shared or one per model (x:
        (K, B, in), y: (K, B)). alive: (K,) bool; a dead (diverged) model contributes no loss.
        Returns per-model loss and correct count, (K,)."""
        logits = self.forward(x)
        losses = self.losses(logits, y)
        self.flat_grad.zero_()
        torch.where(alive, losses, torch.zeros_like(losses)).sum().backward()
        for opt in self.optimizers:
            opt.step()
        for scheduler in self.schedulers:
            scheduler.after_batch()
        return losses.detach(), (logits.argmax(-1) == y).sum(1)

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor, batch: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean loss and accuracy per model on (x, y), without dropout: two (K,) tensors."""
        loss_sum = torch.zeros(self.k, device=x.device)
        correct = torch.zeros(self.k, device=x.device)
        for i in range(0, len(x), batch):
            logits = self.forward(x[i:i + batch], training=False)
            loss_sum += self.losses(logits, y[i:i + batch]) * len(y[i:i + batch])
            correct += (logits.argmax(-1) == y[i:i + batch]).sum(1)
        n = max(1, len(x))
        return loss_sum / n, correct / n

    def weights_of(self, k: int) -> list[torch.Tensor]:
        """Model k's weights in nn.Linear layout (out, in), for checks and export."""
        return [layer.weight.detach()[k].T for layer in self.layers]


def _alias(stacked: torch.Tensor, grad: torch.Tensor, k: int) -> torch.Tensor:
    """A leaf tensor sharing model k's slice of `stacked` (contiguous: torch's fused optimizers
    need that), whose .grad is the matching slice of `grad`: an optimizer stepping it updates
    the stack in place."""
    view = stacked.detach()[k]
    view.requires_grad_(True)
    view.grad = grad[k]
    return view


def _member_records(stacked: StackedMLPs, base: dict, alive: list[bool], **columns: list) -> list[tuple[int, dict]]:
    """(model index, record) for every model still racing; columns: per-model value lists."""
    out, n = [], len(stacked.seeds)
    for k in range(stacked.k):
        if alive[k]:
            entrant, seed = stacked.entrants[k // n], stacked.seeds[k % n]
            out.append((k, {**base, "kind": "train", "run": f"{entrant.name} (seed {seed})", "model": k,
                            "entrant": entrant.name, "optimizer": entrant.optimizer, "seed": seed,
                            "schedule": entrant.schedule, "status": "running", **{c: v[k] for c, v in columns.items()}}))
    return out


def _by_model(recs: list[dict], k: int) -> list[dict]:
    """The latest record of each model (an empty one for a model that dropped out before)."""
    out: list[dict] = [{} for _ in range(k)]
    for rec in recs:
        out[rec["model"]] = rec
    return out


def train_race(data: Data, spec: MLPSpec, entrants: list[Entrant], seeds: list[int], *, epochs: int,
               batch_size: int = 32, report_seconds: float = 1.0,
               stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """Train every entrant × seed at once, yielding one record per model per report.

    A model whose loss stops being finite gets a last record "diverged at epoch N" and drops
    out; the others race on. Reports come at every epoch end and at most `report_seconds`
    apart within an epoch (epoch 0 = at initialization).
    """
    stacked = StackedMLPs(data.input_dim, data.n_classes, spec, entrants, seeds, device=data.device)
    k, dev = stacked.k, data.device
    x_val, y_val = data.features(data.valid.x), data.valid.y
    n = len(data.train)
    steps_per_epoch = math.ceil(n / batch_size)
    stacked.schedule(epochs, steps_per_epoch)
    total = epochs * steps_per_epoch
    alive = torch.ones(k, dtype=torch.bool, device=dev)
    status = ["running"] * k
    gen = torch.Generator().manual_seed(0)  # one batch order for every model
    start = last = time.perf_counter()
    loss_sum, correct = torch.zeros(k, device=dev), torch.zeros(k, device=dev)
    seen, step = 0, 0

    def report(epoch: float, epoch_end: bool, train_loss: list, train_acc: list) -> list[dict]:
        nonlocal last
        vl, va = stacked.evaluate(x_val, y_val)
        val_loss, val_acc = vl.tolist(), va.tolist()
        base = {"epoch": round(epoch, 4), "epoch_end": epoch_end, "step": step, "samples": step * batch_size,
                "time": time.perf_counter() - start, "progress": step / total}
        pairs = _member_records(stacked, base, [s == "running" for s in status], train_loss=train_loss,
                                train_acc=train_acc, val_loss=val_loss, val_acc=val_acc, lr=stacked.lrs())
        for kk, rec in pairs:
            finite = math.isfinite(rec["val_loss"]) and (rec["train_loss"] is None or math.isfinite(rec["train_loss"]))
            if not finite:  # this model drops out; the others race on
                status[kk], alive[kk] = "diverged", False
                ep = max(1, math.ceil(epoch))
                rec.update(status="diverged", message=f"diverged at epoch {ep}", diverged_epoch=ep,
                           val_loss=None, train_loss=None, val_acc=None)
        last = time.perf_counter()
        return [rec for _, rec in pairs]

    latest = report(0.0, True, [None] * k, [None] * k)
    yield from latest
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen).to(dev)
        for b in range(steps_per_epoch):
            if stop is not None and stop():  # each racing model's last report, marked as stopped
                for rec in latest:
                    if rec["status"] == "running":
                        yield {**rec, "status": "cancelled", "message": f"cancelled at epoch {epoch + 1}"}
                return
            idx = perm[b * batch_size:(b + 1) * batch_size]
            losses, hits = stacked.step(data.features(data.train.x[idx]), data.train.y[idx], alive)
            loss_sum += losses * len(idx)
            correct += hits
            seen += len(idx)
            step += 1
            end = b == steps_per_epoch - 1
            if end or (report_seconds and time.perf_counter() - last >= report_seconds):
                tl, ta = (loss_sum / seen).tolist(), (correct / seen).tolist()
                loss_sum.zero_(), correct.zero_()
                seen = 0
                recs = latest = report(epoch + (b + 1) / steps_per_epoch, end, tl, ta)
                if end and epoch == epochs - 1:
                    for rec in recs:
                        if rec["status"] == "running":
                            rec.update(status="done", message=f"finished {epochs} epochs")
                yield from recs
                if not any(s == "running" for s in status):
                    return
                if end:
                    stacked.after_epoch([r["val_loss"] if s == "running" else None for r, s in zip(
                        _by_model(recs, k), status)])
