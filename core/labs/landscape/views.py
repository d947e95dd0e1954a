"""The trained network's four views, each run as a job of its own: the linear path, the 2-D slices
(random filter-normalized directions; the trajectory's PCA plane), the Hessian spectrum at
checkpoints, and "is it really stuck?". Each yields progress records while it computes and
ends with one record holding what its chart needs (plain lists, JSON-ready).

Every view's loss is the mean cross-entropy over the whole split the person picks (train by
default), in eval mode, the way core.train.evaluate measures it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterator

import torch

from core import curvature, hessian
from core import landscape as L
from core.labs.base import Stop, never
from core.labs.common import in_background, load
from core.labs.landscape.config import Config, View, Views
from core.data import Data, Split
from core.models import MLP, MLPSpec, build_mlp

SLQ_STEPS, SLQ_PROBES = 60, 4  # stochastic Lanczos quadrature: HVPs = steps × probes per checkpoint
LANCZOS_RESTARTS = 30  # cap on ARPACK's restarts per end; what does not converge is reported
LANCZOS_TOL = 1e-4  # ARPACK's relative accuracy per eigenvalue: ample for a chart and a sign
UNKNOWN = "unknown: an end of the spectrum did not converge"
STALL_PER_EPOCH = 0.01  # "stopped improving": the loss falls by less than 1% per epoch...
STILL_LARGE = 0.1  # ...while the gradient norm is still above 10% of its value at initialization


def lanczos_vectors(k: int) -> int:
    """Lanczos vectors kept between restarts. A trained net's smallest eigenvalues cluster near
    zero: with scipy's default 20 vectors they do not converge in 30 restarts on digits, with 60
    they do, in about 300 HVPs. Capped: ncv × P float64 (100 × 27,710 × 8 B = 22 MB on digits)."""
    return min(100, max(60, 4 * k))


def model_of(network: dict, theta: torch.Tensor, device: torch.device) -> MLP:
    """The trained network rebuilt with weights `theta` (P,)."""
    spec = MLPSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in network["spec"].items()})
    model = build_mlp(network["in_dim"], network["n_classes"], spec, device=device)
    L.load_flat(model, theta.to(device))
    return model.eval()


@dataclass
class Opened:
    """What every view starts from: the data, the checkpoints on its device, the network rebuilt
    with the trained weights, and the split the view's loss is measured on."""
    data: Data
    thetas: torch.Tensor  # (C, P): C[0] initial, C[-1] trained
    model: MLP
    split: Split


def open_network(network: dict, config: Config, view: View, stop: Stop) -> Generator[dict, None, Opened | None]:
    """The data (download progress yielded), checkpoints and model of a trained network; None when stopped."""
    data = yield from load(config, stop)
    if data is None:
        return None
    thetas = network["checkpoints"].to(data.device)
    return Opened(data, thetas, model_of(network, thetas[-1], data.device),
                  data.train if view.split == "train" else data.valid)


def checkpoint_label(network: dict, index: int) -> str:
    epoch = network["epochs"][index]
    return "initial weights" if index == 0 else f"epoch {epoch:g}"


def picked(count: int, at: int) -> list[int]:
    """`at` checkpoint indices spread evenly from the first to the last of `count`."""
    return sorted({round(i * (count - 1) / max(1, at - 1)) for i in range(at)}) if at > 1 else [count - 1]


def _share(progress: Callable[[float], None], base: float, width: float) -> Callable[[int, int], None]:
    """A (done, total) callback writing base + width · done/total into `progress`."""
    return lambda done, total: progress(base + width * (done / total if total else 0.0))


def linear_path(network: dict, config: Config, view: View, stop: Stop = never) -> Iterator[dict]:
    """Loss and accuracy on both splits along θ₀ + α(θ₁ − θ₀), α from −0.5 to 1.5."""
    net = yield from open_network(network, config, view, stop)
    if net is None:
        return
    data, thetas, model = net.data, net.thetas, net.model
    alphas = L.path_alphas(view.path_points)

    def compute(progress: Callable[[float], None], stop_: Stop) -> list[dict]:
        rows = []
        for i, (name, split) in enumerate((("train", data.train), ("validation", data.valid))):
            path = L.linear_path(model, thetas[0], thetas[-1], data, split, alphas,
                                 stop=stop_, progress=_share(progress, i / 2, 1 / 2))
            rows += [{"split": name, "alpha": float(a), "loss": float(v), "accuracy": float(c)}
                     for a, v, c in zip(path.alphas, path.loss, path.acc)]
        return rows

    rows = yield from in_background(compute, stop, kind="progress", what="the linear path")
    if rows is not None:
        yield {"kind": "path", "rows": rows, "progress": 1.0, "status": "done"}


def _surface_record(kind: str, surface: L.Surface, **extra: Any) -> dict:
    return {"kind": kind, "a": surface.a_values.tolist(), "b": surface.b_values.tolist(),
            "loss": surface.loss.tolist(), "accuracy": surface.acc.tolist(), **extra}


def slices(network: dict, config: Config, view: View, stop: Stop = never) -> Iterator[dict]:
    """The loss around the trained weights on two filter-normalized random directions (seeded by
    the run's seed), then on the plane of the trajectory's two principal directions, with every
    checkpoint projected on it and its own loss."""
    net = yield from open_network(network, config, view, stop)
    if net is None:
        return
    data, thetas, model, split = net.data, net.thetas, net.model, net.split
    axis = L.axis(view.resolution, view.span)

    def compute(progress: Callable[[float], None], stop_: Stop) -> list[dict]:
        d1, d2 = (d.to(data.device) for d in L.random_directions(model, config.seed))
        random = L.grid_losses(model, thetas[-1], d1, d2, axis, axis, data, split, stop=stop_,
                               progress=_share(progress, 0.0, 0.5))
        plane = L.trajectory_plane(thetas)
        along = L.trajectory_surface(model, plane, data, split, points=view.resolution, stop=stop_,
                                     progress=_share(progress, 0.5, 0.45))
        own, _ = L.evaluate_points(model, lambda i, j: thetas[i:j], len(thetas), data, split, stop=stop_)
        progress(1.0)
        path = [{"index": i, "epoch": e, "x": float(x), "y": float(y), "loss": float(v)}
                for i, (e, (x, y), v) in enumerate(zip(network["epochs"], plane.coords.tolist(), own))]
        return [_surface_record("slice", random, span=view.span),
                _surface_record("trajectory", along, explained=plane.explained.tolist(), path=path)]

    out = yield from in_background(compute, stop, kind="progress", what="the slices")
    if out is not None:
        random, along = out
        yield {**random, "progress": 0.5, "status": "running"}
        yield {**along, "progress": 1.0, "status": "done"}


def spectrum(network: dict, config: Config, view: View, stop: Stop = never) -> Iterator[dict]:
    """The Hessian's spectrum at `view.at` checkpoints: exact (float64 eigvalsh) for a network of
    up to hessian.MAX_EXACT parameters; else the extreme eigenvalues by Lanczos and a density by
    stochastic Lanczos quadrature, whose minimum ratio is an estimate."""
    net = yield from open_network(network, config, view, stop)
    if net is None:
        return
    data, thetas, model, split = net.data, net.thetas, net.model, net.split
    chosen = picked(len(thetas), view.at)
    exact = thetas.shape[1] <= hessian.MAX_EXACT
    for n, index in enumerate(chosen):
        def compute(progress: Callable[[float], None], stop_: Stop, index: int = index, n: int = n) -> dict:
            loss = hessian.Loss(model, data, split, stop=stop_)
            theta = thetas[index].to(device=loss.device, dtype=loss.dtype)
            overall = lambda share: progress((n + share) / len(chosen))  # noqa: E731
            if exact:
                return _exact(loss, theta, overall)
            return _estimated(loss, theta, view.eigs, config.seed, overall)

        label = checkpoint_label(network, index)
        out = yield from in_background(compute, stop, kind="progress", what=f"the spectrum: {label}")
        if out is None:
            return
        yield {"kind": "spectrum", "checkpoint": checkpoint_label(network, index), "index": index,
               "epoch": network["epochs"][index], "exact": exact, **out, "progress": (n + 1) / len(chosen),
               "status": "done" if n == len(chosen) - 1 else "running"}


def _exact(loss: hessian.Loss, theta: torch.Tensor, progress: Callable[[float], None]) -> dict:
    values = hessian.exact_spectrum(loss, theta, progress=lambda done, total: progress(done / max(1, total)))
    reading = curvature.classify(values.tolist())
    return {"eigenvalues": values.tolist(), "grad_norm": hessian.grad_norm(loss, theta), "hvps": loss.hvps,
            **_reading(reading), "estimated": False}


def _estimated(loss: hessian.Loss, theta: torch.Tensor, k: int, seed: int,
               progress: Callable[[float], None]) -> dict:
    budget = SLQ_STEPS * SLQ_PROBES
    ends = hessian.lanczos_extremes(loss, theta, k=k, maxiter=LANCZOS_RESTARTS, tol=LANCZOS_TOL, seed=seed,
                                    ncv=lanczos_vectors(k),
                                    progress=lambda done, _: progress(min(0.5, done / (4 * budget))))
    start = loss.hvps
    quad = hessian.slq(loss, theta, steps=SLQ_STEPS, probes=SLQ_PROBES, seed=seed,
                       progress=lambda done, total: progress(0.5 + 0.5 * done / max(1, total)))
    extremes = [*ends.top.tolist(), *ends.bottom.tolist()]
    tol = curvature.tolerance(extremes)
    reading = curvature.classify(extremes)
    if not len(ends.top) or not len(ends.bottom):  # an end that did not converge: its sign is unknown
        reading = curvature.Reading(reading.positive, reading.negative, reading.zero, tol, UNKNOWN)
    return {"top": ends.top.tolist(), "bottom": ends.bottom.tolist(), "converged": ends.converged,
            "message": ends.message, "lanczos_hvps": ends.hvps, "slq_hvps": loss.hvps - start,
            "nodes": quad.nodes.tolist(), "weights": quad.weights.tolist(),
            "grad_norm": hessian.grad_norm(loss, theta), **_reading(reading),
            "min_ratio": hessian.estimated_min_ratio(quad.nodes, quad.weights, tol), "estimated": True}


def _reading(reading: curvature.Reading) -> dict:
    return {"positive": reading.positive, "negative": reading.negative, "zero": reading.zero,
            "tolerance": reading.tolerance, "min_ratio": reading.min_ratio, "verdict": reading.verdict}


def stuck(network: dict, config: Config, view: View, stop: Stop = never) -> Iterator[dict]:
    """At every checkpoint, the loss and the norm of the full gradient on the split."""
    net = yield from open_network(network, config, view, stop)
    if net is None:
        return
    data, thetas, model, split = net.data, net.thetas, net.model, net.split

    def compute(progress: Callable[[float], None], stop_: Stop) -> list[dict]:
        loss = hessian.Loss(model, data, split, dtype=torch.float32, stop=stop_)
        rows = []
        for i, (epoch, theta) in enumerate(zip(network["epochs"], thetas)):
            if stop_():
                raise hessian.Stopped("stopped")
            rows.append({"epoch": epoch, "loss": float(loss(theta)), "grad_norm": hessian.grad_norm(loss, theta)})
            progress((i + 1) / len(thetas))
        return rows

    rows = yield from in_background(compute, stop, kind="progress", what="the gradient at every checkpoint")
    if rows is not None:
        yield {"kind": "stuck", "rows": rows, "stalled": stalled(rows), "progress": 1.0, "status": "done"}


def stalled(rows: list[dict]) -> list[dict]:
    """Spans of checkpoints where the loss fell by less than STALL_PER_EPOCH per epoch while the
    gradient norm stayed above STILL_LARGE × its value at the start: stopped, but not at a
    critical point."""
    if len(rows) < 2:
        return []
    first = rows[0]["grad_norm"]
    spans: list[dict] = []
    for a, b in zip(rows, rows[1:]):
        epochs = b["epoch"] - a["epoch"]
        if epochs <= 0 or not (math.isfinite(a["loss"]) and math.isfinite(b["loss"])):
            continue
        per_epoch = (a["loss"] - b["loss"]) / max(a["loss"], 1e-12) / epochs
        if per_epoch < STALL_PER_EPOCH and b["grad_norm"] > STILL_LARGE * first:
            if spans and spans[-1]["end"] == a["epoch"]:
                spans[-1]["end"] = b["epoch"]
            else:
                spans.append({"start": a["epoch"], "end": b["epoch"]})
    return spans


ALL = {"path": linear_path, "slices": slices, "spectrum": spectrum, "stuck": stuck}


def run_all(config: Views, stop: Stop = never) -> Iterator[dict]:
    """Train the network, then compute the four views of it, one after another (the CLI's
    `landscape.views`): training is the first half of the progress, the views the second."""
    from core.labs.landscape.run import run  # the run module imports the arena, not these views

    network = None
    for rec in run(config.training(), stop):
        if isinstance(rec, dict):
            yield {**rec, "progress": 0.5 * rec.get("progress", 0.0), "status": "running"}
        elif rec.name == "network":
            network = rec.value
    if network is None or stop():
        yield {"kind": "views", "progress": 1.0, "status": "cancelled" if stop() else "diverged",
               "message": "no view: the training did not finish"}
        return
    view = config.view()
    for i, (name, fn) in enumerate(ALL.items()):
        for rec in fn(network, config.training(), view, stop):
            yield {**rec, "view": name, "progress": 0.5 + 0.5 * (i + rec.get("progress", 0.0)) / len(ALL),
                   "status": "running"}
        if stop():
            yield {"kind": "views", "progress": 1.0, "status": "cancelled", "message": f"stopped at the {name} view"}
            return
    yield {"kind": "views", "progress": 1.0, "status": "done", "message": "all four views computed"}
