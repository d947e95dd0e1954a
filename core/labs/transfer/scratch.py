"""B from scratch, every seed at once on the race engine: K models stacked, each with its own N
examples and its own batch order. The batch order is the one train() draws for the same seed
(a randperm of the N examples per epoch from torch.Generator().manual_seed(seed)) and model k
starts from build_mlp(seed k), so the stacked and the one-by-one path give the same numbers."""
from __future__ import annotations

import math
import time
from typing import Callable, Generator

import torch

from core.data import Data
from core.models import MLPSpec
from core.race import Entrant, StackedMLPs, stacks, vectorizable
from core.train import TrainSpec

Result = list[tuple[float, float] | None]  # per model: test loss and accuracy; None when it did not finish


def stackable(spec: MLPSpec, optimizer: str) -> bool:
    """Whether B from scratch can train stacked: no per-model normalization state, and no
    optimizer that needs a second-order backward (which does not go through the stack)."""
    return vectorizable(spec) and stacks(optimizer)


class _Stack:
    """The K models and their data: raw train examples (K, N, D), labels (K, N)."""

    def __init__(self, samples: list[Data], spec: MLPSpec, seeds: list[int], tspec: TrainSpec) -> None:
        first = self.first = samples[0]
        self.net = StackedMLPs(first.input_dim, first.n_classes, spec, [Entrant(tspec.optimizer, tspec.lr)], seeds,
                               device=first.device)
        self.x = torch.stack([s.train.x for s in samples])  # (K, N, D) raw
        self.y = torch.stack([s.train.y for s in samples])  # (K, N)
        self.k, self.n = self.y.shape
        self.rows = torch.arange(self.k, device=first.device)[:, None]  # (K, 1) for gathering per-model batches
        self.gens = [torch.Generator().manual_seed(s) for s in seeds]  # each model's batch order, as train() draws it

    def orders(self) -> torch.Tensor:
        """(K, N): each model's permutation of its examples for one epoch."""
        return torch.stack([torch.randperm(self.n, generator=g) for g in self.gens]).to(self.first.device)

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """idx (K, B) -> standardized inputs (K, B, D) and labels (K, B)."""
        return self.first.features(self.x[self.rows, idx]), self.y[self.rows, idx]

    @torch.no_grad()
    def first_batch(self, size: int) -> tuple[list[float], list[float]]:
        """Loss and accuracy per model on its first `size` examples, before any step (train()'s epoch 0)."""
        x, y = self.first.features(self.x[:, :size]), self.y[:, :size]
        logits = self.net.forward(x, training=False)
        return self.net.losses(logits, y).tolist(), (logits.argmax(-1) == y).float().mean(1).tolist()

    def measure(self, split: str) -> tuple[list[float], list[float]]:
        data = getattr(self.first, split)
        loss, acc = self.net.evaluate(self.first.features(data.x), data.y)
        return loss.tolist(), acc.tolist()


def train_stacked(samples: list[Data], spec: MLPSpec, seeds: list[int], tspec: TrainSpec, *,
                  stop: Callable[[], bool] | None = None) -> Generator[dict, None, Result | None]:
    """Train model k = build_mlp(seeds[k]) on samples[k] for every k at once, yielding at each
    epoch end (and at epoch 0) one record per model still training, with "model": k and the keys
    train() reports. Returns each model's test loss and accuracy (None: diverged), or None when
    stopped."""
    s = _Stack(samples, spec, seeds, tspec)
    k, bs = s.k, tspec.batch_size
    steps = math.ceil(s.n / bs)
    alive = torch.ones(k, dtype=torch.bool, device=s.first.device)
    status = ["running"] * k
    start = time.perf_counter()
    latest: list[dict] = []

    def report(epoch: int, step: int, train_loss: list, train_acc: list) -> list[dict]:
        val_loss, val_acc = s.measure("valid")
        out = []
        for m in range(k):
            if status[m] != "running":
                continue
            rec = {"model": m, "epoch": float(epoch), "epoch_end": True, "step": step, "samples": step * bs,
                   "train_loss": train_loss[m], "train_acc": train_acc[m], "val_loss": val_loss[m],
                   "val_acc": val_acc[m], "lr": tspec.lr, "time": time.perf_counter() - start,
                   "progress": step / (tspec.epochs * steps), "status": "running"}
            if not all(math.isfinite(v) for v in (train_loss[m], val_loss[m])):
                status[m], alive[m] = "diverged", False
                rec.update(status="diverged", message=f"diverged at epoch {max(1, epoch)}",
                           diverged_epoch=max(1, epoch), train_loss=None, val_loss=None, val_acc=None)
            elif epoch == tspec.epochs:
                status[m] = "done"
                rec.update(status="done", message=f"finished {tspec.epochs} epochs")
            out.append(rec)
        return out

    latest = report(0, 0, *s.first_batch(bs))
    yield from latest
    loss_sum, correct = torch.zeros(k, device=s.first.device), torch.zeros(k, device=s.first.device)
    for epoch in range(1, tspec.epochs + 1):
        order = s.orders()
        for b in range(steps):
            if stop is not None and stop():
                for rec in latest:
                    if rec["status"] == "running":
                        yield {**rec, "status": "cancelled", "message": f"cancelled at epoch {epoch}"}
                return None
            idx = order[:, b * bs:(b + 1) * bs]
            losses, hits = s.net.step(*s.batch(idx), alive)
            loss_sum += losses * idx.shape[1]
            correct += hits
        train_loss, train_acc = (loss_sum / s.n).tolist(), (correct / s.n).tolist()
        loss_sum.zero_(), correct.zero_()
        latest = report(epoch, epoch * steps, train_loss, train_acc)
        yield from latest
        if not any(st == "running" for st in status):
            break
    test_loss, test_acc = s.measure("test")
    return [(test_loss[m], test_acc[m]) if status[m] == "done" else None for m in range(k)]
