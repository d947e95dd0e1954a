"""What a point's curvature says: the second-order test on the Hessian's eigenvalues.

At a critical point (gradient zero) the Hessian's eigenvalues classify it: all positive, a
minimum; all negative, a maximum; both signs, a saddle. The minimum ratio is the share of
positive eigenvalues: 1 at a minimum, strictly between 0 and 1 at a saddle, 0 at a maximum.
An eigenvalue near zero leaves the test undecided (the monkey saddle's origin has a zero
Hessian): such a point is "flat". "Near zero" is relative to the largest |eigenvalue|, with an
absolute floor for when every eigenvalue is tiny. The arena and the real network use the same
tolerance, and the page states it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

REL_TOL = 1e-4  # |λ| ≤ REL_TOL · max|λ| counts as zero (Rosenbrock's minimum has a condition of 2,500)
ABS_TOL = 1e-6  # ...and so does |λ| ≤ ABS_TOL (all eigenvalues tiny: a plateau)
CRITICAL_TOL = 1e-3  # a gradient norm below this is a critical point, for the toy surfaces

MINIMUM, SADDLE, MAXIMUM, FLAT = "minimum", "saddle", "maximum", "flat: the second-order test cannot tell"


def tolerance(eigenvalues: Sequence[float], rel: float = REL_TOL, floor: float = ABS_TOL) -> float:
    """The |λ| at or below which an eigenvalue counts as zero."""
    largest = max((abs(v) for v in eigenvalues), default=0.0)
    return max(rel * largest, floor)


def tolerance_text(rel: float = REL_TOL, floor: float = ABS_TOL) -> str:
    return (f"an eigenvalue counts as zero when |λ| ≤ {rel:g} × the largest |λ|, or |λ| ≤ {floor:g} "
            "(when every eigenvalue is that small)")


@dataclass(frozen=True)
class Reading:
    positive: int  # eigenvalues above +tolerance
    negative: int  # below −tolerance
    zero: int  # within ±tolerance
    tolerance: float
    verdict: str  # MINIMUM, SADDLE, MAXIMUM or FLAT

    @property
    def count(self) -> int:
        return self.positive + self.negative + self.zero

    @property
    def min_ratio(self) -> float:
        """Share of positive eigenvalues (near-zero ones are not positive)."""
        return self.positive / self.count if self.count else float("nan")


def classify(eigenvalues: Sequence[float], rel: float = REL_TOL, floor: float = ABS_TOL) -> Reading:
    """The second-order test on a Hessian's eigenvalues."""
    values = [float(v) for v in eigenvalues]
    tol = tolerance(values, rel, floor)
    pos = sum(v > tol for v in values)
    neg = sum(v < -tol for v in values)
    zero = len(values) - pos - neg
    if zero or not values:
        verdict = FLAT
    elif neg == 0:
        verdict = MINIMUM
    elif pos == 0:
        verdict = MAXIMUM
    else:
        verdict = SADDLE
    return Reading(pos, neg, zero, tol, verdict)
