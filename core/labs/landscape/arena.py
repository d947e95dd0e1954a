"""The toy arena: real torch optimizers walking a two-parameter surface from one start.

Each entrant steps a single (2,) float64 tensor p = (x, y) with its own optimizer. An optional
gradient noise σ·ε, ε ~ N(0, I), is added to the true gradient before each step; the draws come
from a generator seeded with `seed`, a fresh one per entrant, so every optimizer meets the same
noise sequence (a fair race, and the same numbers however many other jobs run).
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import torch

from core import curvature, optim
from core.labs.landscape.surfaces import Surface, get
from core.race import Entrant

STOP_EVERY = 100  # steps between checks of stop()


def _loss(s: Surface, condition: float) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda p: s.fn(p[0], p[1], condition)


def reading(surface: str, condition: float, point: Sequence[float]) -> dict:
    """What the surface looks like at `point`: value, gradient norm, the exact Hessian's
    eigenvalues (ascending) and the second-order test's verdict, as plain floats."""
    f = _loss(get(surface), condition)
    p = torch.tensor([float(point[0]), float(point[1])], dtype=torch.float64, requires_grad=True)
    loss = f(p)
    (grad,) = torch.autograd.grad(loss, p)
    eig = torch.linalg.eigvalsh(torch.autograd.functional.hessian(f, p.detach()))  # (2,), ascending
    eigenvalues = [float(v) for v in eig]
    r = curvature.classify(eigenvalues)
    g = float(grad.norm())
    x, y = p.detach().tolist()
    return {"x": x, "y": y, "loss": float(loss.detach()), "grad_norm": g, "eigenvalues": eigenvalues,
            "min_ratio": r.min_ratio, "verdict": r.verdict, "critical": g < curvature.CRITICAL_TOL}


def _inside(box: tuple[float, float, float, float], x: float, y: float) -> bool:
    x_lo, x_hi, y_lo, y_hi = box
    return x_lo <= x <= x_hi and y_lo <= y <= y_hi


def _crossing(box: tuple[float, float, float, float], a: list[float], b: list[float]) -> list[float]:
    """Where segment a -> b (a inside, b outside) first meets the box's edge."""
    x_lo, x_hi, y_lo, y_hi = box
    t = 1.0
    for i, (lo, hi) in enumerate(((x_lo, x_hi), (y_lo, y_hi))):
        if b[i] > hi:
            t = min(t, (hi - a[i]) / (b[i] - a[i]))
        elif b[i] < lo:
            t = min(t, (lo - a[i]) / (b[i] - a[i]))
    # clamp: rounding must not leave the crossing a hair outside
    return [min(max(a[0] + t * (b[0] - a[0]), x_lo), x_hi), min(max(a[1] + t * (b[1] - a[1]), y_lo), y_hi)]


def _value_and_grad(f: Callable, p: torch.Tensor, create_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    loss = f(p)
    (grad,) = torch.autograd.grad(loss, p, create_graph=create_graph)
    return loss, grad


def walk(surface: str, condition: float, start: Sequence[float], steps: int, noise: float, entrant: Entrant,
         seed: int, stop: Callable[[], bool] | None = None) -> dict:
    """One entrant's path: x, y, loss, grad_norm per step, its status and where it ended."""
    s = get(surface)
    if not _inside(s.box, float(start[0]), float(start[1])):
        raise ValueError(f"start {tuple(start)} lies outside the {surface} box {s.box} (x_lo, x_hi, y_lo, y_hi)")
    f = _loss(s, condition)
    hyper = dict(entrant.hyper)
    p = torch.tensor([float(start[0]), float(start[1])], dtype=torch.float64, requires_grad=True)
    gen = torch.Generator().manual_seed(seed)  # the noise draws, the same for every entrant
    opt = optim.build(entrant.optimizer, [p], lr=entrant.lr, weight_decay=hyper.pop("weight_decay", 0.0),
                      generator=torch.Generator().manual_seed(seed), **hyper)
    second_order = optim.get(entrant.optimizer).needs_hessian
    xs, ys, losses, norms = [], [], [], []
    status, escaped_at, message = "done", None, f"ran all {steps} steps"
    for step in range(steps + 1):
        loss, grad = _value_and_grad(f, p, create_graph=second_order and optim.hessian_due(opt))
        value = float(loss.detach())
        if not math.isfinite(value):
            status, message = "diverged", f"diverged at step {step} (the loss is not finite)"
            break
        x, y = p.detach().tolist()
        xs.append(x)
        ys.append(y)
        losses.append(value)
        norms.append(float(grad.detach().norm()))  # the true gradient's norm, before noise
        if step == steps:
            break
        if stop is not None and step and step % STOP_EVERY == 0 and stop():
            status, message = "cancelled", f"cancelled at step {step}"
            break
        p.grad = grad + noise * torch.randn(2, generator=gen, dtype=torch.float64)  # (2,)
        opt.step()
        new = p.detach().tolist()
        if not all(map(math.isfinite, new)):
            status, message = "diverged", f"diverged at step {step + 1} (the step is not finite)"
            break
        if not _inside(s.box, *new):
            edge = _crossing(s.box, [xs[-1], ys[-1]], new)
            loss, grad = _value_and_grad(f, torch.tensor(edge, dtype=torch.float64, requires_grad=True))
            xs.append(edge[0])
            ys.append(edge[1])
            losses.append(float(loss.detach()))
            norms.append(float(grad.norm()))
            status, escaped_at, message = "escaped", step + 1, f"escaped the box at step {step + 1}"
            break
    end = None if status == "escaped" or not xs else reading(surface, condition, (xs[-1], ys[-1]))
    # leaving the box is an outcome, not a failure: the path's run is "done"
    return {"step": list(range(len(xs))), "x": xs, "y": ys, "loss": losses, "grad_norm": norms,
            "status": "done" if status == "escaped" else status,
            "outcome": "in the box" if status == "done" else status, "escaped_at": escaped_at, "message": message,
            "end": end}


def paths(surface: str, condition: float, start: Sequence[float], steps: int, noise: float,
          entrants: Sequence[Entrant], seed: int, stop: Callable[[], bool] | None = None) -> Iterator[dict]:
    """One "path" record per entrant, in order, from `start` on surface `surface`.

    A path ends on the box's edge where it leaves (outcome "escaped", status "done", `end` None:
    the point reading does not apply), at a non-finite loss ("diverged"), on stop() ("cancelled",
    checked between entrants and every STOP_EVERY steps) or after `steps` steps (status "done",
    outcome "in the box").
    """
    for i, e in enumerate(entrants):
        if stop is not None and stop():
            return
        path = walk(surface, condition, start, steps, noise, e, seed, stop)
        yield {"kind": "path", "run": e.name, "optimizer": e.optimizer, "lr": float(e.lr), **path,
               "progress": (i + 1) / len(entrants)}
        if path["status"] == "cancelled":
            return
