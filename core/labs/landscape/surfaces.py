"""Toy two-parameter surfaces of the loss-landscape lab: name -> Surface.

Every `fn(x, y, condition)` works elementwise on torch tensors (float64 in the arena, so the
exact Hessian by autograd is exact to rounding); `condition` is the valley's κ and is ignored by
every other surface. `minima` lists the known global minima (empty where the surface has none);
`local_minima` the known poorer ones worth marking (the double well's).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from core.registry import Registry

Box = tuple[float, float, float, float]  # (x_lo, x_hi, y_lo, y_hi)
Point = tuple[float, float]
Fn = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


@dataclass(frozen=True)
class Surface:
    label: str  # display name
    formula: str  # the formula as plain text, e.g. "x² − y²"
    box: Box  # the region drawn and played in; a path that leaves it ends there
    fn: Fn  # f(x, y, condition), elementwise on tensors
    minima: tuple[Point, ...]  # known global minima, (x, y) each; may be empty
    note: str  # one line on what it teaches
    local_minima: tuple[Point, ...] = ()  # known local, non-global minima worth marking


def _saddle(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return x**2 - y**2


def _monkey(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return x**3 - 3 * x * y**2


def _valley(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    # Hessian diag(1, κ): κ is the condition number itself
    return (x**2 + condition * y**2) / 2


def _rosenbrock(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rastrigin(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)


def _beale(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _two_minima(x: torch.Tensor, y: torch.Tensor, condition: float) -> torch.Tensor:
    # a double well in x tilted by 0.3x: the left well is lower; a quadratic trough in y
    return (x**2 - 1) ** 2 + 0.3 * x + y**2 / 2


SURFACES: Registry[Surface] = Registry("surface")
_add = SURFACES.add
_add("saddle", Surface("Saddle", "x² − y²", (-2.0, 2.0, -2.0, 2.0), _saddle, (),
                       "The origin is flat but not a minimum: down in y, up in x."))
_add("monkey", Surface("Monkey saddle", "x³ − 3xy²", (-2.0, 2.0, -2.0, 2.0), _monkey, (),
                       "Three ways down from the origin, where the Hessian is zero: the second-order test is silent."))
_add("valley", Surface("Narrow valley", "(x² + κ·y²) / 2", (-10.0, 10.0, -2.0, 2.0), _valley, ((0.0, 0.0),),
                       "Curvature κ times steeper across than along: gradient descent zig-zags, momentum rolls down."))
_add("rosenbrock", Surface("Rosenbrock", "(1 − x)² + 100·(y − x²)²", (-2.0, 2.0, -1.0, 3.0), _rosenbrock,
                           ((1.0, 1.0),), "A curved banana valley: easy to reach, slow to follow to its end."))
_add("rastrigin", Surface("Rastrigin", "20 + x² − 10·cos 2πx + y² − 10·cos 2πy", (-5.12, 5.12, -5.12, 5.12),
                          _rastrigin, ((0.0, 0.0),), "A bowl riddled with local minima that trap a small step."))
_add("beale", Surface("Beale", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
                      (-4.5, 4.5, -4.5, 4.5), _beale, ((3.0, 0.5),),
                      "Flat plateaus beside sharp ridges: the gradient's scale changes by orders of magnitude."))
_add("himmelblau", Surface("Himmelblau", "(x² + y − 11)² + (x + y² − 7)²", (-5.0, 5.0, -5.0, 5.0), _himmelblau,
                           ((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                            (-3.779310253377747, -3.283185991286169), (3.5844283403304917, -1.8481265269644034)),
                           "Four equally good minima: where you start decides which you find."))
# minima by Newton's method: global (−1.0356, 0) at f = −0.3054; local (0.9601, 0) at f = 0.2941;
# between them a saddle at (0.0754, 0), f = 1.0113
_add("two_minima", Surface("Two minima", "(x² − 1)² + 0.3x + y²/2", (-2.0, 2.0, -1.5, 1.5), _two_minima,
                           ((-1.0355787140888537, 0.0),),
                           "A poor local minimum and a better global one: the start and the momentum decide.",
                           local_minima=((0.9601495555191055, 0.0),)))


def get(name: str) -> Surface:
    return SURFACES.get(name)


def names() -> list[str]:
    return SURFACES.names()


def value(name: str, condition: float, x: float, y: float) -> float:
    """f(x, y) of surface `name`."""
    t = torch.tensor([x, y], dtype=torch.float64)
    return float(get(name).fn(t[0], t[1], condition))


def grid(name: str, condition: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface `name` sampled on an n × n grid over its box, for the heatmap and contours.

    Returns xs (n,), ys (n,) and z (n, n) with z[i, j] = f(xs[j], ys[i]) (rows are y).
    """
    x_lo, x_hi, y_lo, y_hi = get(name).box
    xs = torch.linspace(x_lo, x_hi, n, dtype=torch.float64)
    ys = torch.linspace(y_lo, y_hi, n, dtype=torch.float64)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # (n, n) each, rows by y
    with torch.no_grad():
        z = get(name).fn(xx, yy, condition)
    return xs.numpy(), ys.numpy(), z.numpy()
