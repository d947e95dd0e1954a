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

from core import activations, models, optim, regularize, schedules
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
    weight_decay: float | None = None  # passed to the optimizer; None: the registry entry's own
    schedule: str = "constant"  # core.schedules name
    schedule_settings: tuple = ()  # its parameters as (name, value) pairs; ("interval", "batch") picks the stepping
    clip_norm: float = 0.0  # clip the global gradient norm to this; 0 = off
    patience: int = 0  # early stopping after this many epochs without a better val loss; 0 = off
    layer_stats: bool = True  # per-layer gradient norm, weight norm and update ratio
    track_activations: bool = False  # per-layer activation mean/std/saturation on a probe batch
    eval_train: bool = False  # also measure the train split in eval mode (dropout off) at each report
    report_seconds: float = 1.0  # longest gap between reports within an epoch; 0 = epoch ends only
    seed: int = 0  # batch order, dropout masks and Hessian probes
    optimizer_settings: tuple = ()  # the optimizer's own settings as (name, value) pairs, e.g. (("momentum", 0.95),)
    decay_weights_only: bool = False  # weight decay on the Linear weights only: biases and norm parameters get none
    l1: float = 0.0  # explicit penalty l1·Σ|w| on the Linear weights, added to the loss
    l2: float = 0.0  # explicit penalty l2·Σw² on the Linear weights, added to the loss
    max_norm: float = 0.0  # after each step, every unit's incoming weight vector scaled to L2 norm <= this; 0 = off
    freeze: tuple = ()  # parameter-name prefixes (e.g. "blocks.0.") left out of training for freeze_epochs
    freeze_epochs: int = 0  # epochs the `freeze` parameters stay frozen; then they train at unfreeze_lr
    unfreeze_lr: float = 0.0  # learning rate of the unfrozen parameters; 0 = lr

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"epochs must be 1..{MAX_EPOCHS}, got {self.epochs}")
        if not 1 <= self.batch_size <= 65_536:
            raise ValueError(f"batch_size must be 1..65536, got {self.batch_size}")
        if not (0 < self.lr <= 100 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be in (0, 100], got {self.lr}")
        if min(self.weight_decay or 0, self.clip_norm, self.patience, self.report_seconds, self.l1, self.l2,
               self.max_norm, self.freeze_epochs, self.unfreeze_lr) < 0:
            raise ValueError("weight_decay, clip_norm, patience, report_seconds, l1, l2, max_norm, freeze_epochs "
                             "and unfreeze_lr must be >= 0")
        if self.freeze and self.schedule != "constant":
            raise ValueError("freezing takes a constant learning rate (a schedule would not know the group "
                             "added at unfreezing)")
        optim.get(self.optimizer)
        own = dict(self.schedule_settings)
        schedules.resolve(self.schedule, {k: v for k, v in own.items() if k != "interval"}, own.get("interval"))


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
    """Per-layer gradient norm, weight norm, |ΔW|/|W| for the report step and the share of
    weights near zero (|w| < regularize.SPARSE_EPS)."""

    def __init__(self, layers: list[nn.Linear]) -> None:
        self.weights = [l.weight for l in layers]
        self.before: list[torch.Tensor] = []

    def snapshot(self) -> None:
        self.before = [w.detach().clone() for w in self.weights]

    def measure(self) -> torch.Tensor:
        """(L, 4) tensor: grad norm, weight norm, update ratio (after the optimizer step), sparsity."""
        grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in self.weights]
        g = torch.stack([torch.linalg.vector_norm(t) for t in grads])
        w = torch.stack([torch.linalg.vector_norm(t.detach()) for t in self.weights])
        dw = torch.stack([torch.linalg.vector_norm(a.detach() - b) for a, b in zip(self.weights, self.before)])
        zero = torch.stack([t.detach().abs().lt(regularize.SPARSE_EPS).float().mean() for t in self.weights])
        return torch.stack([g, w, dw / w.clamp_min(1e-30), zero], 1)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _model_bounds(model: nn.Module) -> tuple[float, float] | None:
    spec = getattr(model, "spec", None)
    return activations.get(spec.activation).bounds if spec is not None else None


class _Sums:
    """Loss and correct counts summed on the device; read (one host sync) once per report."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.seen = 0

    def add(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        self.loss += loss.detach() * len(y)
        self.correct += (logits.argmax(1) == y).sum()
        self.seen += len(y)

    def read_and_reset(self) -> tuple[float, float]:
        loss, acc = torch.stack([self.loss, self.correct.float()]).div(max(1, self.seen)).tolist()
        self.loss.zero_(), self.correct.zero_()
        self.seen = 0
        return loss, acc


class _Run:
    """State of one training run; `train` drives it."""

    def __init__(self, model: nn.Module, data: Data, spec: TrainSpec) -> None:
        self.model, self.data, self.spec = model, data, spec
        # frozen parameters are left out of the optimizer: weight decay would move them even
        # with no gradient, and momentum would carry them on
        self.frozen = regularize.frozen(model, spec.freeze) if spec.freeze and spec.freeze_epochs else []
        for p in self.frozen:
            p.requires_grad_(False)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.weights = regularize.weights(model)
        # the job's own randomness: dropout masks and Hessian probes (never torch's global generator)
        self.generator = models.job_generator(spec.seed, data.device)
        models.use_generator(model, self.generator)
        settings = dict(spec.optimizer_settings)
        decay = settings.pop("weight_decay", spec.weight_decay)
        self.decay = optim.get(spec.optimizer).weight_decay if decay is None else decay
        self.opt = optim.build(spec.optimizer, self._groups(self.params), lr=spec.lr, generator=self.generator,
                               weight_decay=self.decay, **settings)
        self.needs_hessian = optim.get(spec.optimizer).needs_hessian
        self.steps_per_epoch = math.ceil(len(data.train) / spec.batch_size)
        self.total_steps = spec.epochs * self.steps_per_epoch
        self.scheduler = schedules.build(spec.schedule, self.opt, epochs=spec.epochs,
                                         steps_per_epoch=self.steps_per_epoch, **dict(spec.schedule_settings))
        self.layers = _Layers(models.linears(model)) if spec.layer_stats else None
        self.bounds = _model_bounds(model)
        self.probe = data.features(data.valid.x[:PROBE_SIZE]) if spec.track_activations else None
        self.sums = _Sums(data.device)
        self.grad_norm = torch.zeros((), device=data.device)
        self.step = self.samples = 0
        self.start = self.last_report = time.perf_counter()

    def _groups(self, params: list[torch.Tensor], **extra) -> list[dict]:
        return regularize.param_groups(self.model, params, self.decay, weights_only=self.spec.decay_weights_only,
                                       **extra)

    def unfreeze_if_due(self, epoch: int) -> None:
        """At epoch `freeze_epochs`, the frozen parameters join the optimizer in groups of their
        own at `unfreeze_lr`."""
        if not self.frozen or epoch < self.spec.freeze_epochs:
            return
        for p in self.frozen:
            p.requires_grad_(True)
        for group in self._groups(self.frozen, lr=self.spec.unfreeze_lr or self.spec.lr):
            self.opt.add_param_group(group)
        self.params += self.frozen
        self.frozen = []

    def wants_report(self, b: int) -> bool:
        """Always at an epoch's last batch; within it, every report_seconds, but not in the
        epoch's last tenth, so the epoch-end report that follows averages more than a batch."""
        if b == self.steps_per_epoch - 1:
            return True
        early_enough = b < self.steps_per_epoch - max(2, self.steps_per_epoch // 10)
        return (self.spec.report_seconds > 0 and early_enough
                and time.perf_counter() - self.last_report >= self.spec.report_seconds)

    def train_step(self, idx: torch.Tensor, reporting: bool) -> torch.Tensor | None:
        """One optimizer step on the examples `idx`; returns the layer table when reporting."""
        xb, yb = self.data.features(self.data.train.x[idx]), self.data.train.y[idx]
        logits = self.model(xb)
        loss = F.cross_entropy(logits, yb)  # the data loss: what the reports show
        penalty = regularize.penalty(self.weights, self.spec.l1, self.spec.l2)
        objective = loss if penalty is None else loss + penalty
        self.opt.zero_grad(set_to_none=True)
        graph = self.needs_hessian and optim.hessian_due(self.opt)
        if graph:  # the step estimates the Hessian from the gradients' own graph
            self._backward_with_graph(objective)
        else:
            objective.backward()
        if self.spec.clip_norm > 0:  # the norm recorded is the one before clipping
            self.grad_norm = nn.utils.clip_grad_norm_(self.params, self.spec.clip_norm, foreach=True)
        elif reporting:
            self.grad_norm = nn.utils.get_total_norm([p.grad for p in self.params if p.grad is not None],
                                                     foreach=True)
        if reporting and self.layers is not None:
            self.layers.snapshot()
        self.opt.step()
        if self.spec.max_norm > 0:
            regularize.max_norm_(self.weights, self.spec.max_norm)
        if graph:  # drop the gradients' graph: it references the parameters (a cycle that leaks)
            for p in self.params:
                if p.grad is not None:
                    p.grad = p.grad.detach()
        self.scheduler.after_batch()
        self.sums.add(loss, logits, yb)
        self.samples += len(yb)
        self.step += 1
        return self.layers.measure() if reporting and self.layers is not None else None

    def _backward_with_graph(self, loss: torch.Tensor) -> None:
        """Gradients that keep their graph (create_graph), for a step that differentiates them.

        autograd.grad rather than backward(create_graph=True): same gradients, set once into the
        emptied .grad fields, without backward's warning about accumulating into them."""
        grads = torch.autograd.grad(loss, self.params, create_graph=True, allow_unused=True)
        for p, g in zip(self.params, grads):
            p.grad = g

    def report(self, epoch: float, epoch_end: bool, layer_table: torch.Tensor | None) -> Record:
        train_loss, train_acc = self.sums.read_and_reset()
        rec: Record = {
            "epoch": round(epoch, 4), "epoch_end": epoch_end, "step": self.step, "samples": self.samples,
            "train_loss": _finite(train_loss), "train_acc": train_acc,
            "lr": float(self.opt.param_groups[0]["lr"]), "time": time.perf_counter() - self.start,
            "progress": self.step / self.total_steps, "status": "running",
        }
        if not math.isfinite(train_loss):
            return {**rec, "val_loss": None, "val_acc": None, "grad_norm": None, "layers": []}
        val_loss, rec["val_acc"] = evaluate(self.model, self.data, self.data.valid)
        rec["val_loss"] = _finite(val_loss)
        rec.update(self.train_eval())
        rec["grad_norm"] = _finite(float(self.grad_norm))
        rec["layers"] = _layer_rows(layer_table, self.model, self.bounds, self.probe)
        self.last_report = time.perf_counter()
        return rec

    def train_eval(self) -> Record:
        """Train loss and accuracy in eval mode: the running figures are taken with dropout on."""
        if not self.spec.eval_train:
            return {}
        loss, acc = evaluate(self.model, self.data, self.data.train)
        return {"train_eval_loss": _finite(loss), "train_eval_acc": acc}

    def initial_report(self) -> Record:
        """Epoch 0: the state at initialization, with gradients of the first train examples.

        Buffers (batch-norm running statistics) are restored so this look changes nothing.
        """
        model, data, spec = self.model, self.data, self.spec
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        xb, yb = data.features(data.train.x[:spec.batch_size]), data.train.y[:spec.batch_size]
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        table, grad_norm = None, nn.utils.get_total_norm([p.grad for p in self.params if p.grad is not None])
        if self.layers is not None:
            self.layers.snapshot()
            table = self.layers.measure()  # no step taken: update ratio 0
        self.opt.zero_grad(set_to_none=True)
        model.load_state_dict(buffers, strict=False)
        train_loss, train_acc, gn = torch.stack([loss.detach(), (logits.argmax(1) == yb).float().mean(),
                                                 grad_norm]).tolist()
        val_loss, val_acc = evaluate(model, data, data.valid)
        rec: Record = {
            "epoch": 0.0, "epoch_end": True, "step": 0, "samples": 0, "train_loss": _finite(train_loss),
            "train_acc": train_acc, "val_loss": _finite(val_loss), "val_acc": val_acc,
            "lr": float(self.opt.param_groups[0]["lr"]), "time": time.perf_counter() - self.start,
            "progress": 0.0, "status": "running", "grad_norm": _finite(gn), **self.train_eval(),
        }
        ok = rec["val_loss"] is not None
        rec["layers"] = _layer_rows(table, model, self.bounds, self.probe) if ok else []
        return rec

    def step_epoch_scheduler(self, val_loss: float) -> None:
        self.scheduler.after_epoch(val_loss)


class _EarlyStop:
    """Keeps the weights of the best validation loss; says when patience has run out."""

    def __init__(self, patience: int) -> None:
        self.patience, self.bad = patience, 0
        self.best_loss, self.best_state, self.best_epoch = math.inf, None, 0

    def should_stop(self, model: nn.Module, val_loss: float, epoch: int) -> bool:
        if not self.patience:
            return False
        if val_loss < self.best_loss - 1e-6:
            self.best_loss, self.best_state, self.best_epoch = val_loss, copy.deepcopy(model.state_dict()), epoch
            self.bad = 0
        else:
            self.bad += 1
        return self.bad >= self.patience


def train(model: nn.Module, data: Data, spec: TrainSpec, *,
          stop: Callable[[], bool] | None = None) -> Iterator[Record]:
    """Train `model` on `data`, yielding a record per report; the last record's status is
    "done", "diverged", "early_stopped" or "cancelled" (every other record: "running")."""
    model.train()
    run, early = _Run(model, data, spec), _EarlyStop(spec.patience)
    gen = torch.Generator().manual_seed(spec.seed)  # batch order, on the CPU for every device
    rec = run.initial_report()
    if rec["train_loss"] is None or rec["val_loss"] is None:
        yield _final(rec, "diverged", "diverged at initialization: the loss overflowed", diverged_epoch=0)
        return
    yield rec
    for epoch in range(spec.epochs):
        run.unfreeze_if_due(epoch)
        perm = torch.randperm(len(data.train), generator=gen).to(data.device)
        for b in range(run.steps_per_epoch):
            if stop is not None and stop():
                yield _final(dict(rec, time=time.perf_counter() - run.start), "cancelled",
                             f"cancelled at epoch {epoch + 1}")
                return
            reporting = run.wants_report(b)
            table = run.train_step(perm[b * spec.batch_size:(b + 1) * spec.batch_size], reporting)
            if not reporting:
                continue
            last = b == run.steps_per_epoch - 1
            rec = run.report(epoch + (b + 1) / run.steps_per_epoch, last, table)
            if rec["train_loss"] is None or rec["val_loss"] is None:
                yield _final(rec, "diverged", f"diverged at epoch {epoch + 1}", diverged_epoch=epoch + 1)
                return
            if not last:
                yield rec
        run.step_epoch_scheduler(rec["val_loss"])  # rec: the epoch's last report
        if early.should_stop(model, rec["val_loss"], epoch + 1):
            yield rec
            model.load_state_dict(early.best_state)
            val_loss, val_acc = evaluate(model, data, data.valid)
            yield _final(dict(rec, val_loss=val_loss, val_acc=val_acc), "early_stopped",
                         f"stopped early at epoch {epoch + 1}; restored the weights of epoch {early.best_epoch}")
            return
        if epoch == spec.epochs - 1:
            yield _final(rec, "done", f"finished {spec.epochs} epochs")
            return
        yield rec


def _final(rec: Record, status: str, message: str, **extra) -> Record:
    return {**rec, "status": status, "message": message, **extra}


def _layer_rows(table: torch.Tensor | None, model: nn.Module, bounds, probe) -> list[dict]:
    rows: list[dict] = []
    if table is not None:
        for i, (g, w, r, z) in enumerate(table.tolist()):
            rows.append({"layer": i + 1, "grad_norm": g, "weight_norm": w, "update_ratio": r, "sparsity": z})
    if probe is not None:
        for i, stats in enumerate(activation_stats(model, probe, bounds)):
            if i < len(rows):
                rows[i].update(stats)
            else:
                rows.append({"layer": i + 1, **stats})
    return rows
