"""Cells per second of a learning-rate sweep: one cell at a time with our own loop, against the
vectorized in-process sweep (`core.sweep.run`, chunks on the race engine), and with --ray N on a
local Ray instance of N workers (`core.cluster`).

    python -m benchmarks.bench_sweep [--optimizers sgd,momentum,adam] [--points 8] [--seeds 2]
                                     [--epochs 1] [--batch 32] [--size 1797] [--threads N] [--check]
                                     [--ray N] [--chunks 144,72,36]

A cell is one (optimizer, rate, seed): a 3x100 ReLU MLP with He init trained on digits for
--epochs at batch --batch. `one at a time` trains each cell with `core.train.train` (layer
statistics and in-epoch reports off, fused optimizer kernels where torch has them); `vectorized`
trains them all with `core.sweep.run`. Both sides see the same data, batch order and initial
weights and end with the same validation pass per cell. Printed: cells, seconds and cells per
second of each side, their ratio, and the thread count. `--check` exits 1 unless the vectorized
sweep is at least 3x the one-at-a-time rate.

With --chunks: the in-process sweep again with at most that many models per pass, for each
number given (the default chunk is what `core.sweep.models_per_pass` allows).

With --ray N: the time to start the instance (ray.init), the first sweep on it (which also starts
its workers, each importing torch) and the second (workers warm), each as cells per second and
as a ratio to the in-process vectorized sweep. A Ray worker trains with one thread, and chunks are
cut smaller there (two per worker) so that cells stream back.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: make `core` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from core import data, device, sweep
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, train

SPEC = MLPSpec(depth=3, width=100, activation="relu", init="he_normal")


def one_at_a_time(d: data.Data, grid: sweep.Grid, epochs: int, batch: int) -> float:
    start = time.perf_counter()
    for entrant in grid.entrants():
        for seed in grid.seeds:
            model = build_mlp(d.input_dim, d.n_classes, SPEC, seed=seed)
            spec = TrainSpec(epochs=epochs, batch_size=batch, optimizer=entrant.optimizer, lr=entrant.lr,
                             layer_stats=False, report_seconds=0, seed=0)
            for _ in train(model, d, spec):
                pass
    return time.perf_counter() - start


def vectorized(d: data.Data, grid: sweep.Grid, epochs: int, batch: int, max_models: int | None = None) -> float:
    start = time.perf_counter()
    cells = sweep.finals(list(sweep.run(d, SPEC, grid, epochs=epochs, batch_size=batch, max_models=max_models)))
    assert len(cells) == grid.cells
    return time.perf_counter() - start


def on_ray(d: data.Data, grid: sweep.Grid, epochs: int, batch: int, workers: int) -> tuple[float, float, float]:
    """(seconds to start a local instance of `workers` CPUs, first sweep, second sweep)."""
    from core import cluster

    ours = not cluster.connected()  # an instance already there (a test's) is used, and left running
    start = time.perf_counter()
    cluster.connect(local_cpus=workers)
    remote = cluster.for_sweeps()
    started = time.perf_counter() - start
    times = []
    for _ in range(2):
        start = time.perf_counter()
        cells = sweep.finals(list(sweep.run(d, SPEC, grid, epochs=epochs, batch_size=batch, remote=remote)))
        assert len(cells) == grid.cells and not any(c["status"] == "failed" for c in cells)
        times.append(time.perf_counter() - start)
    if ours:
        cluster.disconnect()
    return started, times[0], times[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizers", default="sgd,momentum,adam")
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=1797, help="digits used before the split")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the app's jobs' count)")
    parser.add_argument("--check", action="store_true", help="exit 1 unless vectorized >= 3x one at a time")
    parser.add_argument("--ray", type=int, default=0, metavar="N", help="also on a local Ray instance of N workers")
    parser.add_argument("--chunks", default="", metavar="M,M,...", help="also in process with at most M models a pass")
    args = parser.parse_args(argv)
    threads = device.configure_threads() if args.threads is None else args.threads
    torch.set_num_threads(threads)
    grid = sweep.Grid(tuple(args.optimizers.split(",")), 1e-4, 1.0, args.points, tuple(range(args.seeds)))
    d = data.load("digits", seed=0, size=args.size)
    alone = one_at_a_time(d, grid, args.epochs, args.batch)
    stacked = vectorized(d, grid, args.epochs, args.batch)
    ratio = alone / stacked
    print(f"{grid.cells} cells ({len(grid.optimizers)} optimizers x {grid.points} rates x {len(grid.seeds)} seeds), "
          f"{args.epochs} epoch(s) of {len(d.train)} digits at batch {args.batch}, {threads} thread(s)")
    print(f"one at a time: {alone:6.2f} s  {grid.cells / alone:6.1f} cells/s")
    default = sweep.models_per_pass(SPEC, d.input_dim, d.n_classes, device=d.device)
    print(f"vectorized ({default} models a pass at most):")
    print(f"               {stacked:6.2f} s  {grid.cells / stacked:6.1f} cells/s   ratio {ratio:.2f} (target >= 3)")
    for most in [int(m) for m in args.chunks.split(",") if m]:
        took = vectorized(d, grid, args.epochs, args.batch, most)
        print(f"  {most:4d} models a pass: {took:6.2f} s  {grid.cells / took:6.1f} cells/s")
    if args.ray:
        started, first, warm = on_ray(d, grid, args.epochs, args.batch, args.ray)
        print(f"local Ray, {args.ray} workers: started in {started:.1f} s")
        for what, took in (("first sweep", first), ("warm", warm)):
            print(f"  {what:12s} {took:6.2f} s  {grid.cells / took:6.1f} cells/s   {stacked / took:.2f}x vectorized")
    return 1 if args.check and ratio < 3 else 0


if __name__ == "__main__":
    sys.exit(main())
