"""Seconds for an optimizer race: the vectorized engine against the same runs one after another.

    python -m benchmarks.bench_race [--size 55000] [--batch 32] [--large-batch 256] [--epochs 1]
                                    [--repeats 3] [--steps 0] [--steps-many 300] [--seeds 5]
                                    [--threads N] [--json FILE] [--check]

The nine classic optimizers of the race experiment (`optimizer_race.CLASSIC`, each at its usual
rate) train a 3x100 ReLU MLP with He init on random uint8 inputs (--size x 784 train, a further
size/11 for validation, 10 classes), with 1 seed each (9 models) and with --seeds seeds each
(9 x 5 = 45 models), at batch --batch and at batch --large-batch:

  race        `core.race.train_race` with report_seconds=0: every model in one stacked pass,
              reports (a validation pass of all models) at initialization and at epoch ends only.
  sequential  the same runs one after another with `core.train.train` (layer statistics,
              activation tracking and in-epoch reports off; fused optimizer kernels where torch
              has them, as `core.optim.build` picks), each model from `build_mlp(seed)`.

Both sides see the same data, the same batch order (seed 0) and the same initial weights. Each
run stops after --steps optimizer steps (the 1-seed cases) or --steps-many (the many-seed cases,
whose sequential side is slow); 0 = whole epochs. The limit is a `stop` callable (a fresh one per
run) that both loops consult before every step, so both sides do exactly the same steps; a run cut
short skips its epoch-end validation pass, on both sides alike.

Every case runs --repeats times with the two sides interleaved (the first side alternates), and
the median seconds are kept. Printed per case: milliseconds per step of each side, the ratio
sequential / race of wall-clock seconds and of process CPU seconds, and the race's achieved GFLOP/s
beside this machine's float32 matrix-multiply peak (a large `torch.mm`, timed in the same run at
the same thread count). With --threads 1 the CPU-seconds ratio barely moves when other processes
compete for the cores, so it is the robust second view; with more threads it also counts time
torch's worker threads spend waiting.

FLOPs counted are the matrix multiplies the training needs, per model and example: forward
2*in*out per layer, backward 2*in*out for the weight gradient of every layer and 2*in*out for the
input gradient of every layer but the first (the inputs need none), plus the forward passes of
the validation reports. Bias adds, activations, the loss and the optimizer steps are not counted:
they are bandwidth- and overhead-bound, and their time, with the lower efficiency of small matrix
products, makes the gap between achieved and peak.

`--check` exits 1 unless the race is at least 2x faster than sequential in both cases at --batch.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
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

from benchmarks.bench_train import CLASSES, DIM, random_data
from core.data import Data
from core.labs.optimizer_race.config import Config
from core.models import MLPSpec, build_mlp
from core.race import Entrant, train_race
from core.train import TrainSpec, train

N_TRAIN = 55_000  # MNIST's 55,000 train; validation: a further size // 11
MODEL_SPEC = MLPSpec(depth=3, width=100, activation="relu", init="he_normal")
MIN_SPEEDUP = 2.0  # race vs sequential, at --batch
NOISY_SPREAD = 1.5  # max/min seconds of one side above this: the machine was busy
PEAK_N = 2048  # side of the square float32 matrices timed for the peak
RACE, SEQ = "race", "sequential"
SIDES = (RACE, SEQ)


@dataclass(frozen=True)
class Case:
    batch: int
    seeds: int  # per entrant
    steps: int  # optimizer steps per run; 0 = whole epochs

    @property
    def name(self) -> str:
        return f"9x{self.seeds} b{self.batch}"


def make_data(n_train: int, seed: int = 0) -> Data:
    """`bench_train.random_data` with a further n_train // 11 examples for validation."""
    return random_data(n_train, max(1, n_train // 11), seed)


class StepLimit:
    """A `stop` callable: false for the first `steps` calls, then true (never, for 0). Both
    loops call it once before every optimizer step, so `steps` bounds the steps per run."""

    def __init__(self, steps: int) -> None:
        self.steps, self.calls = steps, 0

    def __call__(self) -> bool:
        self.calls += 1
        return bool(self.steps) and self.calls > self.steps


def steps_per_run(case: Case, n_train: int, epochs: int) -> int:
    full = epochs * math.ceil(n_train / case.batch)
    return min(full, case.steps) if case.steps else full


def run_race(data: Data, entrants: list[Entrant], case: Case, epochs: int) -> None:
    """All entrants x seeds in one `train_race`, consumed to the end."""
    seeds = list(range(case.seeds))
    last = None
    for last in train_race(data, MODEL_SPEC, entrants, seeds, epochs=epochs, batch_size=case.batch,
                           report_seconds=0, stop=StepLimit(case.steps)):
        pass
    if last is None or last["status"] not in ("done", "cancelled"):  # "cancelled": cut short by the limit
        raise RuntimeError(f"race did not finish: {last and last.get('message')}")


def run_sequential(data: Data, entrants: list[Entrant], case: Case, epochs: int) -> None:
    """The same entrants x seeds, one `core.train.train` after another, as the race experiment
    trains nets it cannot stack."""
    for entrant in entrants:
        for seed in range(case.seeds):
            model = build_mlp(DIM, CLASSES, MODEL_SPEC, seed=seed)
            spec = TrainSpec(epochs=epochs, batch_size=case.batch, optimizer=entrant.optimizer, lr=entrant.lr,
                             optimizer_settings=entrant.hyper,  # the settings the race steps it with
                             layer_stats=False, track_activations=False, report_seconds=0, seed=0)
            last = None
            for last in train(model, data, spec, stop=StepLimit(case.steps)):
                pass
            if last is None or last["status"] not in ("done", "cancelled"):  # "cancelled": the limit
                raise RuntimeError(f"{entrant.name} (seed {seed}) did not finish: {last and last.get('message')}")


def train_flops(case: Case, n_train: int, n_valid: int, epochs: int, models: int) -> float:
    """Matrix-multiply FLOPs of one side of `case`: training steps and validation forwards."""
    dims = [DIM] + [MODEL_SPEC.width] * MODEL_SPEC.depth + [CLASSES]
    macs = [i * o for i, o in zip(dims, dims[1:])]
    per_example = 2 * sum(macs) + 2 * sum(macs) + 2 * sum(macs[1:])  # forward, weight grads, input grads
    steps = steps_per_run(case, n_train, epochs)
    per_epoch = math.ceil(n_train / case.batch)
    examples = sum(min(case.batch, n_train - (s % per_epoch) * case.batch) for s in range(steps))
    evals = 1 + (steps // per_epoch)  # at initialization and at every completed epoch's end
    return models * (examples * per_example + evals * n_valid * 2 * sum(macs))


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of fn()."""
    gc.collect()  # garbage from the previous side should not be collected on this one's clock
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def matmul_peak(n: int = PEAK_N, repeats: int = 5) -> float:
    """GFLOP/s of the best of `repeats` float32 n x n matrix products at the current thread count."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)  # warm: thread pool, kernel selection
    best = min(timed(lambda: torch.mm(a, b, out=out))[0] for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def warm_up(entrants: list[Entrant], cases: list[Case]) -> None:
    """A short untimed run of both sides per batch size, so first-call costs (kernel selection,
    lazy imports, allocator growth) land on no side's clock."""
    small = make_data(2_048)
    for case in {Case(c.batch, c.seeds, 20) for c in cases}:
        run_race(small, entrants, case, 1)
        run_sequential(small, entrants, Case(case.batch, 1, 20), 1)


def measure(data: Data, entrants: list[Entrant], cases: list[Case], epochs: int,
            repeats: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, list[float]]]]:
    """Wall-clock and CPU seconds of both sides of every case, `repeats` each, the first side
    alternating."""
    fns = {RACE: run_race, SEQ: run_sequential}
    times = {c.name: {s: [] for s in SIDES} for c in cases}
    cpu = {c.name: {s: [] for s in SIDES} for c in cases}
    for case in cases:
        for r in range(repeats):
            for i in range(len(SIDES)):
                side = SIDES[(r + i) % len(SIDES)]
                wall, used = timed(lambda: fns[side](data, entrants, case, epochs))
                times[case.name][side].append(wall)
                cpu[case.name][side].append(used)
                print(f"  {case.name:<10} repeat {r + 1}/{repeats}  {side:<11} {wall:8.2f} s  (cpu {used:.2f} s)",
                      flush=True)
    return times, cpu


def summarize(times: dict[str, dict[str, list[float]]], cpu: dict[str, dict[str, list[float]]], cases: list[Case],
              n_train: int, n_valid: int, epochs: int, n_entrants: int, peak: float, check_batch: int) -> dict:
    out: dict = {"peak_gflops": peak, "cases": {}}
    for case in cases:
        ts = times[case.name]
        med = {s: statistics.median(ts[s]) for s in SIDES}
        med_cpu = {s: statistics.median(cpu[case.name][s]) for s in SIDES}
        steps = steps_per_run(case, n_train, epochs)
        flops = train_flops(case, n_train, n_valid, epochs, n_entrants * case.seeds)
        out["cases"][case.name] = {
            "batch": case.batch, "seeds": case.seeds, "models": n_entrants * case.seeds, "steps_per_run": steps,
            "seconds": med, "runs": ts, "ms_per_step": {s: med[s] / steps * 1e3 for s in SIDES},
            "speedup": med[SEQ] / med[RACE], "cpu_seconds": med_cpu, "cpu_runs": cpu[case.name],
            "speedup_cpu": med_cpu[SEQ] / med_cpu[RACE], "gflops": {s: flops / med[s] / 1e9 for s in SIDES},
            "race_share_of_peak": flops / med[RACE] / 1e9 / peak,
            "noisy": [s for s in SIDES if max(ts[s]) > NOISY_SPREAD * min(ts[s])],
        }
    checked = {name: c["speedup"] >= MIN_SPEEDUP for name, c in out["cases"].items() if c["batch"] == check_batch}
    out["checks"] = {f"race_2x_faster_{name.replace(' ', '_')}": ok for name, ok in checked.items()}
    return out


def print_table(summary: dict) -> None:
    print(f"\n{'case':<11}{'models':>7}{'steps':>7}{'race ms/step':>14}{'seq ms/step':>13}{'seq/race':>10}"
          f"{'cpu-s ratio':>12}{'race GFLOP/s':>14}{'seq GFLOP/s':>13}{'of peak':>9}")
    for name, c in summary["cases"].items():
        ms, gf = c["ms_per_step"], c["gflops"]
        print(f"{name:<11}{c['models']:>7}{c['steps_per_run']:>7}{ms[RACE]:>14.2f}{ms[SEQ]:>13.2f}"
              f"{c['speedup']:>9.2f}x{c['speedup_cpu']:>11.2f}x{gf[RACE]:>14.1f}{gf[SEQ]:>13.1f}"
              f"{c['race_share_of_peak'] * 100:>8.0f}%")
    print(f"float32 matrix-multiply peak ({PEAK_N}x{PEAK_N} torch.mm): {summary['peak_gflops']:.1f} GFLOP/s")
    for check, ok in summary["checks"].items():
        print(f"{check}: race must be >= {MIN_SPEEDUP:.1f}x faster  {'ok' if ok else 'FAIL'}")
    noisy = [f"{name} {side}" for name, c in summary["cases"].items() for side in c["noisy"]]
    if noisy:
        # Two busy cores make torch's worker threads wait on each other: runs slow down several
        # fold, so a wide spread means another process competed and the figures are unreliable.
        print(f"warning: repeats of {', '.join(noisy)} differ by more than {NOISY_SPREAD}x; the machine "
              f"was busy (load average {os.getloadavg()[0]:.1f}); rerun when idle or with --threads 1")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=N_TRAIN, help=f"train examples (default {N_TRAIN:,}); "
                   "validation: a further size // 11")
    p.add_argument("--batch", type=int, default=32, help="batch size of the checked cases (default 32)")
    p.add_argument("--large-batch", type=int, default=256, help="a second batch size, for the trend; 0 = none "
                   "(default 256)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per run (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per side and case (default 3)")
    p.add_argument("--seeds", type=int, default=5, help="seeds per optimizer in the many-seed cases (default 5)")
    p.add_argument("--steps", type=int, default=0, help="optimizer steps per run in the 1-seed cases; "
                   "0 = whole epochs (default 0)")
    p.add_argument("--steps-many", type=int, default=300, help="optimizer steps per run in the many-seed cases; "
                   "0 = whole epochs (default 300)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    p.add_argument("--check", action="store_true",
                   help=f"exit 1 unless the race is >= {MIN_SPEEDUP:.0f}x faster than sequential at --batch")
    args = p.parse_args(argv)
    if min(args.size, args.batch, args.epochs, args.repeats, args.seeds) < 1:
        p.error("--size, --batch, --epochs, --repeats and --seeds must be >= 1")
    if min(args.large_batch, args.steps, args.steps_many) < 0:
        p.error("--large-batch, --steps and --steps-many must be >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    entrants = Config().entrants()  # the nine classic optimizers at their usual rates
    batches = [args.batch] + ([args.large_batch] if args.large_batch and args.large_batch != args.batch else [])
    cases = [Case(b, s, args.steps if s == 1 else args.steps_many) for b in batches for s in (1, args.seeds)]
    data = make_data(args.size)
    n_valid = len(data.valid)
    print(f"torch {torch.__version__}, cpu, {torch.get_num_threads()} threads, load average "
          f"{os.getloadavg()[0]:.2f}; {len(entrants)} optimizers ({', '.join(e.optimizer for e in entrants)}); "
          f"{args.size:,} x {DIM} train, {n_valid:,} valid; {args.epochs} epoch(s) per run, limited to "
          f"{args.steps or 'all'} steps (1 seed) / {args.steps_many or 'all'} steps ({args.seeds} seeds); "
          f"{args.repeats} repeats", flush=True)
    warm_up(entrants, cases)
    peak = matmul_peak()
    times, cpu = measure(data, entrants, cases, args.epochs, args.repeats)
    peak = max(peak, matmul_peak())  # before and after: the better of two looks at the machine
    summary = summarize(times, cpu, cases, args.size, n_valid, args.epochs, len(entrants), peak, args.batch)
    print_table(summary)
    if args.json is not None:
        config = {"size": args.size, "n_valid": n_valid, "batch": args.batch, "large_batch": args.large_batch,
                  "epochs": args.epochs, "repeats": args.repeats, "seeds": args.seeds, "steps": args.steps,
                  "steps_many": args.steps_many, "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "optimizers": [e.optimizer for e in entrants], "lrs": [e.lr for e in entrants]}
        args.json.write_text(json.dumps({"config": config, **summary}, indent=2))
    return 1 if args.check and not all(summary["checks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
