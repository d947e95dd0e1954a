"""Seconds per epoch of the project's training loop against a textbook PyTorch loop.

    python -m benchmarks.bench_train [--epochs 1] [--repeats 3] [--threads N]
                                     [--device cpu] [--json FILE] [--check]

Three variants train the same MLP (3x100 ReLU, He init, from `core.models.build_mlp`) on the
same random data (55,000 x 784 train, 5,000 x 784 validation, 10 classes) with plain SGD at
lr 0.05 and batch 32:

  textbook           DataLoader(TensorDataset, shuffle=True), torchmetrics accuracy updated every
                     batch, `loss.item()` summed every batch, a validation pass each epoch end.
  ours (bare)        `core.train.train` with layer statistics, activation tracking and
                     in-epoch reports off (it still evaluates the validation split per epoch).
  ours (records on)  the same with layer statistics, activation tracking and a report (with a
                     validation pass) at most every second, as the app runs it.

Each variant runs `--repeats` times, interleaved, and the median seconds per epoch is kept.
Two checks follow: ours with records on must not be slower than the textbook loop, and the
records must cost at most 15% over the bare loop. `--check` turns a failed check into exit 1.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

if not __package__:  # run as a file: make `core` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MulticlassAccuracy

from core.data import Data, Split
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, train

N_TRAIN, N_VALID, DIM, CLASSES = 55_000, 5_000, 784, 10  # MNIST's 55,000 / 5,000 split
BATCH, LR = 32, 0.05
MODEL_SPEC = MLPSpec(depth=3, width=100, activation="relu", init="he_normal")
MIN_SPEEDUP = 1.0  # ours (records on) vs textbook
MAX_OVERHEAD = 0.15  # records on vs bare
NOISY_SPREAD = 1.5  # max/min seconds of one variant above this: the machine was busy
TEXTBOOK, BARE, RECORDS = "textbook", "ours (bare)", "ours (records on)"
VARIANTS = (TEXTBOOK, BARE, RECORDS)


@dataclass
class Bench:
    """One data set in both forms: the project's raw `Data` and the textbook's float tensors."""
    data: Data  # uint8 pixels, standardized per batch by `Data.features`, as for MNIST in the app
    x_train: torch.Tensor  # float32, already standardized: the textbook loop pays no per-batch transform
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor


def random_data(n_train: int, n_valid: int, seed: int = 0) -> Data:
    """Random uint8 pixels (784 per example) and 10-class labels, kept raw like MNIST: `Data.features`
    applies the 1/255 scale and the train split's per-feature mean/std per batch."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n_train + n_valid, DIM), generator=g, dtype=torch.uint8)
    y = torch.randint(0, CLASSES, (n_train + n_valid,), generator=g)
    train_split, valid_split = Split(x[:n_train], y[:n_train]), Split(x[n_train:], y[n_train:])
    scaled = train_split.x.double() / 255
    mean, std = scaled.mean(0).float(), scaled.std(0, correction=0).float()
    return Data("random", train_split, valid_split, Split(x[:0], y[:0]), scale=1 / 255,
                mean=mean, std=std.masked_fill(std < 1e-8, 1.0), n_classes=CLASSES,
                image_shape=(1, 28, 28), class_names=tuple(str(c) for c in range(CLASSES)))


def make_bench(n_train: int, n_valid: int, seed: int = 0, device: str = "cpu") -> Bench:
    """`random_data`: ours keeps the pixels raw (the app's real path); the textbook loop gets the
    very same standardized values precomputed, so both see identical inputs and any per-batch
    transform cost falls on ours only. That makes "ours is faster" a conservative claim."""
    data = random_data(n_train, n_valid, seed)
    # The textbook's tensors stay on the CPU (a DataLoader's usual home); batches move per step.
    return Bench(data.to(device), data.features(data.train.x), data.train.y,
                 data.features(data.valid.x), data.valid.y)


def build_model(device: str) -> nn.Module:
    """The same initial weights for every variant and repeat."""
    return build_mlp(DIM, CLASSES, MODEL_SPEC, seed=0, device=device)


def run_textbook(bench: Bench, epochs: int, device: str) -> list[float]:
    """The loop from a PyTorch tutorial: DataLoader, torchmetrics, `loss.item()` per batch.
    Returns the last epoch's train loss, train accuracy, val loss and val accuracy."""
    model = build_model(device)
    torch.manual_seed(0)  # the DataLoader's shuffle order
    loader = DataLoader(TensorDataset(bench.x_train, bench.y_train), batch_size=BATCH, shuffle=True)
    val_loader = DataLoader(TensorDataset(bench.x_valid, bench.y_valid), batch_size=1000)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    train_acc = MulticlassAccuracy(num_classes=CLASSES, average="micro").to(device)
    val_acc = MulticlassAccuracy(num_classes=CLASSES, average="micro").to(device)
    stats: list[float] = []
    for _ in range(epochs):
        model.train()
        train_acc.reset()
        running_loss = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running_loss += loss.item() * xb.size(0)
            train_acc.update(logits, yb)
        stats = [running_loss / len(bench.y_train), train_acc.compute().item()]
        stats += _textbook_validate(model, val_loader, val_acc, device)
    return stats


@torch.no_grad()
def _textbook_validate(model: nn.Module, loader: DataLoader, acc: MulticlassAccuracy,
                       device: str) -> list[float]:
    model.eval()
    acc.reset()
    loss_sum, n = 0.0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        logits = model(xb)
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
        n += yb.size(0)
        acc.update(logits, yb)
    return [loss_sum / n, acc.compute().item()]


def run_ours(bench: Bench, epochs: int, device: str, records: bool) -> None:
    """`core.train.train` consumed to the end, as the app's job runner does."""
    model = build_model(device)
    spec = TrainSpec(epochs=epochs, batch_size=BATCH, optimizer="sgd", lr=LR, layer_stats=records,
                     track_activations=records, report_seconds=1.0 if records else 0)
    last = None
    for last in train(model, bench.data, spec):
        pass
    if last is None or last["status"] != "done":
        raise RuntimeError(f"training did not finish: {last and last.get('message')}")


def runners(bench: Bench, epochs: int, device: str) -> dict[str, Callable[[], object]]:
    return {
        TEXTBOOK: lambda: run_textbook(bench, epochs, device),
        BARE: lambda: run_ours(bench, epochs, device, records=False),
        RECORDS: lambda: run_ours(bench, epochs, device, records=True),
    }


def timed(fn: Callable[[], object], device: str) -> float:
    gc.collect()  # garbage from the previous variant should not be collected on this one's clock
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def warm_up(device: str) -> None:
    """One short untimed run of each variant so first-call costs (kernel selection, lazy
    imports, allocator growth) land on no variant's clock."""
    small = make_bench(2_048, 512, seed=1, device=device)
    for fn in runners(small, 1, device).values():
        fn()


def measure(epochs: int, repeats: int, device: str) -> dict[str, list[float]]:
    """Seconds per epoch of every variant, `repeats` each. The starting variant rotates per
    repeat so neither order nor machine drift favours one variant."""
    bench = make_bench(N_TRAIN, N_VALID, device=device)
    fns = runners(bench, epochs, device)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(repeats):
        for i in range(len(VARIANTS)):
            name = VARIANTS[(r + i) % len(VARIANTS)]
            times[name].append(timed(fns[name], device) / epochs)
            print(f"  repeat {r + 1}/{repeats}  {name:<18} {times[name][-1]:.3f} s/epoch", flush=True)
    return times


def summarize(times: dict[str, list[float]]) -> dict:
    med = {v: statistics.median(ts) for v, ts in times.items()}
    speedup = med[TEXTBOOK] / med[RECORDS]
    overhead = med[RECORDS] / med[BARE] - 1
    return {
        "seconds_per_epoch": med, "runs": times,
        "speedup_vs_textbook": {v: med[TEXTBOOK] / med[v] for v in VARIANTS},
        "records_on_speedup": speedup, "records_overhead": overhead,
        "checks": {"records_on_not_slower": speedup >= MIN_SPEEDUP,
                   "records_overhead_ok": overhead <= MAX_OVERHEAD},
        "noisy": [v for v, ts in times.items() if max(ts) > NOISY_SPREAD * min(ts)],
    }


def print_table(summary: dict) -> None:
    print(f"\n{'variant':<20}{'s/epoch':>10}{'min':>9}{'max':>9}{'vs textbook':>14}")
    for v in VARIANTS:
        ts = summary["runs"][v]
        print(f"{v:<20}{summary['seconds_per_epoch'][v]:>10.3f}{min(ts):>9.3f}{max(ts):>9.3f}"
              f"{summary['speedup_vs_textbook'][v]:>13.2f}x")
    ok = summary["checks"]
    print(f"\nours (records on) vs textbook: {summary['records_on_speedup']:.2f}x faster "
          f"(must be >= {MIN_SPEEDUP:.1f})  {'ok' if ok['records_on_not_slower'] else 'FAIL'}")
    print(f"records overhead over bare: {summary['records_overhead'] * 100:+.1f}% "
          f"(must be <= {MAX_OVERHEAD * 100:.0f}%)  {'ok' if ok['records_overhead_ok'] else 'FAIL'}")
    if noisy := summary["noisy"]:
        # Two busy cores make torch's worker threads wait on each other: runs slow down several
        # fold, so a wide spread means another process competed and the figures are unreliable.
        print(f"warning: repeats of {', '.join(noisy)} differ by more than {NOISY_SPREAD}x; "
              f"the machine was busy (load average {os.getloadavg()[0]:.1f}); rerun when idle")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=1, help="epochs per timed run (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per variant (default 3)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    p.add_argument("--device", default="cpu", help="torch device for the model and our data (default cpu)")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    p.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        p.error("--epochs and --repeats must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, device {args.device}, {torch.get_num_threads()} threads; "
          f"{N_TRAIN:,} x {DIM} train, {N_VALID:,} valid, batch {BATCH}, "
          f"{args.epochs} epoch(s) x {args.repeats} repeats", flush=True)
    warm_up(args.device)
    summary = summarize(measure(args.epochs, args.repeats, args.device))
    print_table(summary)
    if args.json is not None:
        config = {"epochs": args.epochs, "repeats": args.repeats, "threads": torch.get_num_threads(),
                  "device": args.device, "torch": torch.__version__, "n_train": N_TRAIN,
                  "n_valid": N_VALID, "dim": DIM, "batch_size": BATCH, "lr": LR}
        args.json.write_text(json.dumps({"config": config, **summary}, indent=2))
    return 1 if args.check and not all(summary["checks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
