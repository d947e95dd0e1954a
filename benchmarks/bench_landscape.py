"""Seconds for a 2-D loss-landscape slice: the batched evaluation against the point-by-point loop.

    python -m benchmarks.bench_landscape [--points 41] [--rows 41] [--repeats 3] [--epochs 2] [--eigs 20]
                                         [--threads N] [--device cpu] [--json FILE] [--check]

Two cases, each a --points x --points slice (default 41 x 41 = 1,681 networks) through the
trained weights along two filter-normalized random directions (seed 0), a and b from -1 to 1:

  digits  the default digits network: MLP 64-100-100-100-10, ReLU, He init (27,710 weights),
          trained --epochs epochs (default 2) of SGD at lr 0.05, batch 32 with `core.train.train`;
          the loss on the whole train split (1,078 examples).
  moons   a small 2-16-16-2 ReLU MLP on the moons set (600 train examples), trained likewise:
          each network's forward pass is tiny, so the loop's per-point overhead is what costs.

Two sides compute the same slice:

  batched    `core.landscape.grid_losses`: for a plain MLP, `plane_losses` (the first layer's
             products with the centre and the two directions computed once, the later layers
             with stacked weights through batched matrix products), in chunks of points and
             examples (`core.landscape.CHUNKS`); other models go through `functional_call` under `vmap`.
  pointwise  `core.landscape.grid_losses_pointwise`: each point's weights loaded into the model,
             then `core.train.evaluate`, as the app's evaluate() does.

Each repeat times the batched side on the whole slice (the median is kept: the target is a digits
slice in under 5 s), then both sides row by row on the first --rows rows, back to back with the
order alternating, so that both meet the same machine: on a shared CPU its speed drifts by half
within a minute, which a side timed a minute after the other would take for its own. The ratio
pointwise / batched is the median over repeats of those row sums (wall clock and process CPU);
the loop's seconds for the whole slice are scaled from its rows. Torch's thread count is by
default the one the app's background jobs use (`core.device.configure_threads`: one per two
cores, or $DYNAMICS_TORCH_THREADS); --threads sets it. Also printed: the batched slice's largest
difference from the point-by-point one. `--check` exits 1 when the batched side is slower than
the loop in any case.

Then, for the same trained networks, the Hessian of the loss on the whole train split (float64):
the --eigs largest and smallest eigenvalues by Lanczos (scipy's eigsh on Hessian-vector products,
at most --restarts ARPACK restarts, as many Lanczos vectors as the app keeps), with the seconds and
the number of Hessian-vector products;
for the moons network, small enough for the whole Hessian, the exact spectrum beside it and how
far Lanczos's extremes are from the exact ones.
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

import numpy as np
import torch
from torch import nn

from core import data as datasets
from core import curvature, hessian
from core import landscape as L
from core.data import Data
from core.device import configure_threads
from core.labs.landscape.views import lanczos_vectors
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, evaluate, train

TARGET_SECONDS = 5.0  # digits, batched, full slice
SPAN = 1.0  # a and b from -SPAN to SPAN, in units of the filter-normalized directions
NOISY_SPREAD = 1.5  # max/min seconds of one side above this: the machine was busy
BATCHED, POINTWISE = "batched", "pointwise"
SIDES = (BATCHED, POINTWISE)


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str
    spec: MLPSpec


CASES = (
    Case("digits", "digits", MLPSpec(depth=3, width=100, activation="relu", init="he_normal")),
    Case("moons", "moons", MLPSpec(depth=2, width=16, activation="relu", init="he_normal")),
)


@dataclass
class Setup:
    """A trained network and the slice's plane through its weights."""
    model: nn.Module
    data: Data
    center: torch.Tensor  # (P,) trained weights
    d1: torch.Tensor  # (P,)
    d2: torch.Tensor  # (P,)
    axis: torch.Tensor  # (points,) a and b values


def setup(case: Case, epochs: int, points: int, device: str) -> Setup:
    data = datasets.load(case.dataset, seed=0).to(device)
    model = build_mlp(data.input_dim, data.n_classes, case.spec, seed=0, device=device)
    for _ in train(model, data, TrainSpec(epochs=epochs, batch_size=32, optimizer="sgd", lr=0.05,
                                          layer_stats=False, report_seconds=0)):
        pass
    d1, d2 = L.random_directions(model, seed=0)
    return Setup(model, data, L.flatten(model), d1, d2, L.axis(points, SPAN))


def sides(s: Setup, rows: int) -> dict[str, Callable[[], L.Surface]]:
    return {
        BATCHED: lambda: L.grid_losses(s.model, s.center, s.d1, s.d2, s.axis, s.axis, s.data, s.data.train),
        POINTWISE: lambda: L.grid_losses_pointwise(s.model, s.center, s.d1, s.d2, s.axis[:rows], s.axis,
                                                   s.data, s.data.train),
    }


def row_sides(s: Setup, i: int) -> dict[str, Callable[[], L.Surface]]:
    """Row i of the grid (a = axis[i], every b) by both sides."""
    row = s.axis[i:i + 1]
    return {
        BATCHED: lambda: L.grid_losses(s.model, s.center, s.d1, s.d2, row, s.axis, s.data, s.data.train),
        POINTWISE: lambda: L.grid_losses_pointwise(s.model, s.center, s.d1, s.d2, row, s.axis, s.data,
                                                   s.data.train),
    }


def timed(fn: Callable[[], L.Surface], device: str) -> tuple[L.Surface, float, float]:
    """The result, wall seconds and process CPU seconds."""
    gc.collect()
    _sync(device)
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def measure(s: Setup, rows: int, repeats: int, device: str, name: str) -> dict:
    """The batched side's seconds for the full slice (median over repeats), and the ratio of the
    two sides taken row by row: each of the first `rows` rows of the grid computed by both sides
    back to back, the order alternating, so that both meet the same machine (on a shared CPU its
    speed drifts by 1.5x within a minute); the pointwise loop's seconds are scaled from its rows."""
    points = len(s.axis)
    full = sides(s, rows)[BATCHED]
    wall: dict[str, list[float]] = {k: [] for k in SIDES}
    cpu: dict[str, list[float]] = {k: [] for k in SIDES}
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    out: dict[str, L.Surface] = {}
    for r in range(repeats):
        out[BATCHED], w, c = timed(full, device)
        wall[BATCHED].append(w)
        cpu[BATCHED].append(c)
        row_wall = {k: 0.0 for k in SIDES}
        row_cpu = {k: 0.0 for k in SIDES}
        for i in range(rows):
            fns = row_sides(s, i)
            for j in range(len(SIDES)):
                side = SIDES[(i + j) % len(SIDES)]
                got, w, c = timed(fns[side], device)
                row_wall[side] += w
                row_cpu[side] += c
                if side == POINTWISE:
                    out.setdefault("rows", []).append(got)
        wall[POINTWISE].append(row_wall[POINTWISE] * points / rows)
        cpu[POINTWISE].append(row_cpu[POINTWISE] * points / rows)
        ratios.append(row_wall[POINTWISE] / row_wall[BATCHED])
        cpu_ratios.append(row_cpu[POINTWISE] / row_cpu[BATCHED])
        print(f"  {name:<7} repeat {r + 1}/{repeats}  batched slice {wall[BATCHED][-1]:6.2f} s; row by row on "
              f"{rows} rows: pointwise / batched {ratios[-1]:.2f}x (cpu {cpu_ratios[-1]:.2f}x)", flush=True)
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    pointwise = torch.cat([got.loss for got in out.pop("rows")[:rows]])  # (rows, points)
    out[POINTWISE] = L.Surface(s.axis[:rows], s.axis, pointwise, pointwise)
    centre = points // 2
    diff = (out[BATCHED].loss[:rows] - out[POINTWISE].loss).abs() / out[POINTWISE].loss.abs()
    return {
        "points": points * points, "params": s.center.numel(), "examples": len(s.data.train),
        "pointwise_points_timed": rows * points, "seconds": med, "cpu_seconds": med_cpu,
        "ratio": statistics.median(ratios), "cpu_ratio": statistics.median(cpu_ratios),
        "max_rel_diff": float(diff.max()), "centre_loss": float(out[BATCHED].loss[centre, centre]),
        "trained_loss": evaluate(s.model, s.data, s.data.train)[0],
        "loss_range": [float(out[BATCHED].loss.min()), float(out[BATCHED].loss.max())],
        "noisy": [k for k, v in wall.items() if max(v) > NOISY_SPREAD * min(v)],
    }


def hessian_figures(s: Setup, k: int, restarts: int) -> dict:
    """The k largest and k smallest eigenvalues of the same trained network's Hessian (loss on the
    whole train split, float64) by Lanczos: seconds, Hessian-vector products, what converged.
    Where the network is small enough for the whole Hessian (hessian.MAX_EXACT), the exact
    spectrum too, and the largest gap between Lanczos's and the exact extremes, relative to the
    largest |eigenvalue|."""
    loss = hessian.Loss(s.model, s.data, s.data.train)
    theta = loss.theta0
    hessian.hvp(loss, theta, torch.ones_like(theta))  # warm-up, off the clock
    wall = time.perf_counter()
    ends = hessian.lanczos_extremes(loss, theta, k=k, maxiter=restarts, seed=0, ncv=lanczos_vectors(k))
    out = {"k": k, "restarts": restarts, "lanczos_seconds": time.perf_counter() - wall, "hvps": ends.hvps,
           "converged": ends.converged, "message": ends.message, "top": ends.top[:3].tolist(),
           "bottom": ends.bottom[:3].tolist(), "params": loss.size}
    if loss.size <= hessian.MAX_EXACT:
        wall = time.perf_counter()
        exact = hessian.exact_spectrum(loss, theta)
        out["exact_seconds"] = time.perf_counter() - wall
        scale = float(np.abs(exact).max())
        top_gap = np.abs(ends.top - exact[::-1][:len(ends.top)]).max(initial=0.0)
        bottom_gap = np.abs(ends.bottom - exact[:len(ends.bottom)]).max(initial=0.0)
        out["max_gap_relative"] = float(max(top_gap, bottom_gap) / scale)
        quad = hessian.slq(loss, theta, seed=0)
        out["min_ratio_exact"] = curvature.classify(exact.tolist()).min_ratio
        tol = curvature.tolerance(exact.tolist())
        out["min_ratio_slq"] = hessian.estimated_min_ratio(quad.nodes, quad.weights, tol)
    return out


def print_hessian(figures: dict[str, dict]) -> None:
    for name, h in figures.items():
        line = (f"{name}: Lanczos top-{h['k']} and bottom-{h['k']} eigenvalues of {h['params']:,} weights in "
                f"{h['lanczos_seconds']:.1f} s, {h['hvps']} Hessian-vector products, "
                + ("converged" if h["converged"] else f"not all converged ({h['message']})")
                + f"; largest {', '.join(f'{v:.4g}' for v in h['top'])}; smallest "
                + ", ".join(f"{v:.4g}" for v in h["bottom"]))
        if "exact_seconds" in h:
            line += (f"; exact spectrum in {h['exact_seconds']:.1f} s, Lanczos extremes within "
                     f"{h['max_gap_relative']:.1e} of the largest |eigenvalue|; minimum ratio exact "
                     f"{h['min_ratio_exact']:.3f}, estimated by SLQ {h['min_ratio_slq']:.3f}")
        print(line)


def warm_up(s: Setup) -> None:
    """A small untimed slice of each side, so first-call costs (vmap's set-up, kernel choice,
    allocator growth) land on no side's clock."""
    small = Setup(s.model, s.data, s.center, s.d1, s.d2, s.axis[:3])
    for fn in sides(small, 1).values():
        fn()


def print_table(results: dict[str, dict], threads: int, device: str) -> None:
    print(f"\n{'case':<8}{'weights':>8}{'points':>8}{'examples':>9}{'batched s':>11}{'pointwise s':>13}"
          f"{'ratio':>8}{'cpu ratio':>11}{'max rel diff':>14}")
    for name, r in results.items():
        print(f"{name:<8}{r['params']:>8,}{r['points']:>8,}{r['examples']:>9,}{r['seconds'][BATCHED]:>11.2f}"
              f"{r['seconds'][POINTWISE]:>13.2f}{r['ratio']:>7.2f}x{r['cpu_ratio']:>10.2f}x"
              f"{r['max_rel_diff']:>14.1e}")
    for name, r in results.items():
        print(f"{name}: pointwise timed on {r['pointwise_points_timed']:,} of {r['points']:,} points and scaled; "
              f"centre loss {r['centre_loss']:.4f} (trained loss {r['trained_loss']:.4f}), "
              f"loss on the slice {r['loss_range'][0]:.3f} to {r['loss_range'][1]:.3f}")
    if "digits" in results:
        t = results["digits"]["seconds"][BATCHED]
        print(f"digits slice, batched: {t:.2f} s on {device} with {threads} thread(s) "
              f"(target < {TARGET_SECONDS:.0f} s)  {'ok' if t < TARGET_SECONDS else 'over'}")
    if noisy := [f"{n} {s}" for n, r in results.items() for s in r["noisy"]]:
        print(f"warning: repeats of {', '.join(noisy)} differ by more than {NOISY_SPREAD}x; the machine "
              f"was busy (load average {os.getloadavg()[0]:.1f}); rerun when idle")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=41, help="grid points per axis (default 41)")
    p.add_argument("--rows", type=int, default=41, help="grid rows both sides run for the ratio (default 41: all)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per side (default 3)")
    p.add_argument("--epochs", type=int, default=2, help="training epochs before the slice (default 2)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: as the app's jobs run, core.device.configure_threads)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--eigs", type=int, default=20, help="Lanczos: eigenvalues at each end (default 20; 0: skip)")
    p.add_argument("--restarts", type=int, default=100, help="Lanczos: cap on ARPACK restarts (default 100)")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    p.add_argument("--check", action="store_true", help="exit 1 when batched is slower than pointwise")
    args = p.parse_args(argv)
    if args.points < 3 or not 1 <= args.rows <= args.points or args.repeats < 1 or args.epochs < 1:
        p.error("need --points >= 3, 1 <= --rows <= --points, --repeats >= 1 and --epochs >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    else:  # one thread per two cores, or $DYNAMICS_TORCH_THREADS: what a background job gets
        configure_threads()
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, device {args.device}, {threads} threads, load average "
          f"{os.getloadavg()[0]:.1f}; slice {args.points}x{args.points}, pointwise on {args.rows} rows, "
          f"{args.repeats} repeats, networks trained {args.epochs} epoch(s)", flush=True)
    results, extra = {}, {}
    for case in CASES:
        s = setup(case, args.epochs, args.points, args.device)
        warm_up(s)
        results[case.name] = measure(s, args.rows, args.repeats, args.device, case.name)
        if args.eigs:
            extra[case.name] = hessian_figures(s, args.eigs, args.restarts)
    print_table(results, threads, args.device)
    print_hessian(extra)
    if args.json is not None:
        config = {"points": args.points, "rows": args.rows, "repeats": args.repeats, "epochs": args.epochs,
                  "threads": threads, "device": args.device, "torch": torch.__version__, "span": SPAN,
                  "chunks": L.CHUNKS}
        args.json.write_text(json.dumps({"config": config, "cases": results, "hessian": extra}, indent=2))
    slower = [n for n, r in results.items() if r["ratio"] < 1]
    return 1 if args.check and slower else 0


if __name__ == "__main__":
    sys.exit(main())
