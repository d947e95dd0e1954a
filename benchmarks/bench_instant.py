"""How fast the instant views answer: the Activations lab's measurements for all twelve
activations, and the Initialization-variance lab's default measurement, best of N.

    python -m benchmarks.bench_instant
"""
from __future__ import annotations

import argparse
import time

from core import activations
from core.labs.activations import shapes as S
from core.labs.variance.config import Config as VarianceConfig
from core.labs.variance.run import run as variance_run


def _activation_views() -> None:
    names = activations.names()
    S.curves(names, None, (-6.0, 6.0))
    S.saturation_regions(names, None, (-6.0, 6.0), 0.05)
    S.readout(names, None, 1.0)
    S.properties_table(names)
    S.depth_products(names, None, 1.0)
    for gate in S.GATES.names():
        S.gated_surface(gate)


def _variance_default() -> None:
    list(variance_run(VarianceConfig()))


def best_of(fn, repeats: int) -> float:
    fn()  # first calls pay one-off set-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"Activations lab, all 12 activations: {best_of(_activation_views, args.repeats):.3f} s")
    print(f"Initialization variance, default config: {best_of(_variance_default, args.repeats):.3f} s")


if __name__ == "__main__":
    main()
