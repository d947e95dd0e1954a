"""The Hessian of a network's loss over a whole split, for the loss-landscape lab.

The loss is a function of one flat parameter vector θ (P,), so the Hessian is a (P, P) matrix:
built whole for small nets (`exact_hessian`), and otherwise only touched through Hessian-vector
products: its extreme eigenvalues by Lanczos (ARPACK), its spectral density by stochastic Lanczos
quadrature. Every algorithm here costs HVPs, so the `Loss` counts them and checks the job's stop
callable between them (and between example chunks inside one), raising `Stopped`: a background
job cancels within a second.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
from torch import nn
from torch.func import functional_call, grad, vjp, vmap

from core import curvature
from core.data import Data, Split
from core.landscape import Layout, Stopped, unflatten  # Stopped: one for every landscape computation
from core.models import job_generator

Progress = Callable[[int, int], None]  # progress(HVPs done, HVPs in all, or 0 when unknown)
CHUNK = 4096  # examples per forward pass: memory stays bounded whatever the split's size
MAX_EXACT = 3000  # most parameters for a whole Hessian: 3000² float64 is 72 MB and 3000 HVPs
MAX_LANCZOS_ITER = 1000  # cap on ARPACK restarts; each costs up to ncv - k HVPs


def trainable(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The parameters θ is made of, in `named_parameters` order: those that train. Frozen ones
    (a transferred backbone) stay fixed, as buffers do."""
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def flat_params(model: nn.Module, dtype: torch.dtype | None = None) -> torch.Tensor:
    """θ (P,): the model's trainable parameters, detached and concatenated."""
    return torch.cat([p.detach().reshape(-1) for _, p in trainable(model)]).to(dtype)


class Loss:
    """Mean cross-entropy of `model` over a whole split as a function of θ (P,).

    Uses a private copy of the model in eval mode (no dropout, batch norm on its running
    statistics) and in `dtype`: float64 by default, since a spectrum's small eigenvalues drown in
    float32 round-off. The caller's model is never touched. Features are standardized per chunk
    of examples, as `core.train.evaluate` does, so the value at `theta0` is the evaluated loss.
    `hvps` counts Hessian-vector products; `stop`, when given, is polled between them.
    """

    def __init__(self, model: nn.Module, data: Data, split: Split, *, dtype: torch.dtype = torch.float64,
                 chunk: int = CHUNK, stop: Callable[[], bool] | None = None) -> None:
        named = trainable(model)
        if not named:
            raise ValueError("the model has no trainable parameters")
        if len(split) == 0:
            raise ValueError("the split has no examples")
        self.layout = Layout(tuple(n for n, _ in named), tuple(p.shape for _, p in named))
        self.size = self.layout.size  # P
        self.model = copy.deepcopy(model).to(dtype).eval().requires_grad_(False)
        self.data, self.split, self.dtype, self.chunk = data, split, dtype, max(1, int(chunk))
        self.stop = stop
        self.hvps = 0

    @property
    def device(self) -> torch.device:
        return self.split.x.device

    @property
    def theta0(self) -> torch.Tensor:
        """θ (P,) of the model the loss was built from, in the loss's dtype."""
        trained = dict(self.model.named_parameters())
        return torch.cat([trained[n].reshape(-1) for n in self.layout.names])

    def check(self) -> None:
        if self.stop is not None and self.stop():
            raise Stopped("stopped")

    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """θ (P,) -> {parameter name: view of θ shaped like that parameter}."""
        return unflatten(theta, self.layout)

    def batches(self, rows: int | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(features (B, D) in the loss's dtype, labels (B,)) over the split, `rows` at a time;
        checks stop() before each."""
        rows = rows or self.chunk
        x_raw, y = self.split.x, self.split.y
        for i in range(0, len(y), rows):
            self.check()
            yield self.data.features(x_raw[i:i + rows]).to(self.dtype), y[i:i + rows]

    def part(self, theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One chunk's share of the mean loss: Σ cross-entropy over the chunk / N (a scalar).
        The shares of all chunks sum to the loss, and so do their derivatives."""
        # tie_weights=False: our MLP reaches each hidden Linear by two names, and functional_call's
        # tied-weight handling then leaves the passed tensors in the model (pytorch/pytorch#164759),
        # which `theta0` would read back; core.landscape calls it the same way
        logits = functional_call(self.model, self.unflatten(theta), (x,), tie_weights=False)  # (B, classes)
        return F.cross_entropy(logits, y, reduction="sum") / len(self.split)

    def __call__(self, theta: torch.Tensor) -> torch.Tensor:
        """The mean loss at θ (a scalar tensor, differentiable in θ)."""
        theta = theta.to(self.dtype)
        return sum(self.part(theta, x, y) for x, y in self.batches())


def _leaf(loss: Loss, theta: torch.Tensor) -> torch.Tensor:
    return theta.detach().to(device=loss.device, dtype=loss.dtype).requires_grad_(True)


def gradient(loss: Loss, theta: torch.Tensor) -> torch.Tensor:
    """∇L(θ) (P,) over the whole split."""
    t = _leaf(loss, theta)
    out = torch.zeros_like(t)
    with torch.enable_grad():
        for x, y in loss.batches():
            out += torch.autograd.grad(loss.part(t, x, y), t)[0]
    return out


def grad_norm(loss: Loss, theta: torch.Tensor) -> float:
    """‖∇L(θ)‖₂: near zero at a critical point, where the Hessian's signs classify it."""
    return float(torch.linalg.vector_norm(gradient(loss, theta)))


def hvp(loss: Loss, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H(θ) v (P,), summed over example chunks, in the loss's dtype.

    Double backward (reverse over reverse), not forward over reverse (torch.func.jvp of grad):
    measured on a CPU with one thread (as jobs run) for the 27,710-parameter digits MLP over its
    1,078 train examples, one HVP took 21-28 ms against 30-35 ms in float64 and 12-13 against
    14-18 ms in float32 (best of 7); the two agree to 1e-15 in float64.
    """
    loss.check()
    t = _leaf(loss, theta)
    v = v.detach().to(t)
    out = torch.zeros_like(t)
    with torch.enable_grad():
        for x, y in loss.batches():
            (g,) = torch.autograd.grad(loss.part(t, x, y), t, create_graph=True)
            out += torch.autograd.grad(g, t, v)[0]
    loss.hvps += 1
    return out.detach()


# --- the whole Hessian ---------------------------------------------------------------------

def exact_hessian(loss: Loss, theta: torch.Tensor, chunk_size: int = 64,
                  progress: Progress | None = None) -> torch.Tensor:
    """The whole Hessian (P, P) float64, symmetrized, for P ≤ MAX_EXACT.

    Rows come `chunk_size` at a time as HVPs against identity columns, vmapped over the
    vector-Jacobian product of the gradient (one graph per example chunk serves the whole block
    of columns). Example chunks shrink as blocks grow so that columns × examples stays ≤ the
    loss's chunk: memory is what one HVP over a full chunk takes. Measured on one CPU thread:
    0.35 ms a column for a 371-parameter net on 180 examples (a lone HVP: 2 ms), 4.5 ms for a
    2,860-parameter digits net on 1,078 (a lone HVP: 4 ms); blocks of 32-128 cost about the same.
    """
    n = loss.size
    if n > MAX_EXACT:
        raise ValueError(f"the whole Hessian is for at most {MAX_EXACT:,} parameters; this model has "
                         f"{n:,}: use lanczos_extremes and slq, which need only Hessian-vector products")
    t = theta.detach().to(device=loss.device, dtype=loss.dtype)
    h = torch.empty(n, n, dtype=torch.float64, device=loss.device)
    chunk_size = max(1, int(chunk_size))
    rows = max(1, loss.chunk // chunk_size)
    for start in range(0, n, chunk_size):
        loss.check()
        cols = min(chunk_size, n - start)
        basis = torch.zeros(cols, n, dtype=loss.dtype, device=loss.device)  # (cols, P) identity columns
        at = torch.arange(cols, device=loss.device)
        basis[at, start + at] = 1.0
        block = torch.zeros(cols, n, dtype=loss.dtype, device=loss.device)
        for x, y in loss.batches(rows):
            _, pull = vjp(grad(lambda th: loss.part(th, x, y)), t)  # pull(u) = Hᵀu = Hu
            block += vmap(pull)(basis)[0]
        h[start:start + cols] = block
        loss.hvps += cols
        if progress is not None:
            progress(start + cols, n)
    return (h + h.T) / 2


def exact_spectrum(loss: Loss, theta: torch.Tensor, chunk_size: int = 64,
                   progress: Progress | None = None) -> np.ndarray:
    """Every eigenvalue of the Hessian (P,) float64, ascending."""
    h = exact_hessian(loss, theta, chunk_size, progress)
    return torch.linalg.eigvalsh(h).cpu().numpy()


# --- extreme eigenvalues by Lanczos (ARPACK) -----------------------------------------------

@dataclass(frozen=True)
class Extremes:
    top: np.ndarray  # (≤k,) largest algebraic eigenvalues, descending
    bottom: np.ndarray  # (≤k,) smallest algebraic eigenvalues, ascending
    converged: bool  # both ends found to `tol`; else each holds only the eigenvalues that converged
    hvps: int  # Hessian-vector products spent
    message: str  # what did not converge; "" when all did


def _operator(loss: Loss, theta: torch.Tensor, progress: Progress | None) -> LinearOperator:
    """H(θ) as a scipy LinearOperator: float64 numpy (P,) in and out, one HVP per matvec."""
    t = theta.detach().to(device=loss.device, dtype=loss.dtype)
    start = loss.hvps

    def matvec(x: np.ndarray) -> np.ndarray:
        v = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64).reshape(-1)).to(t)
        out = hvp(loss, t, v).to(device="cpu", dtype=torch.float64).numpy()
        if progress is not None:
            progress(loss.hvps - start, 0)  # ARPACK decides when it is done: total unknown
        return out

    return LinearOperator((loss.size, loss.size), matvec=matvec, dtype=np.float64)


def _ends(op: LinearOperator, k: int, which: str, v0: np.ndarray, maxiter: int,
          tol: float, ncv: int | None = None) -> tuple[np.ndarray, str]:
    """k eigenvalues at one end ("LA" or "SA") and a message, "" when all converged."""
    try:
        return eigsh(op, k=k, which=which, v0=v0, ncv=ncv, maxiter=maxiter, tol=tol, return_eigenvectors=False), ""
    except ArpackNoConvergence as exc:
        found = np.asarray(exc.eigenvalues, dtype=np.float64).real
        end = "largest" if which == "LA" else "smallest"
        return found, f"{end}: {found.size} of {k} eigenvalues converged within {maxiter} restarts"


def lanczos_extremes(loss: Loss, theta: torch.Tensor, k: int = 20, maxiter: int = 100, tol: float = 1e-5,
                     seed: int = 0, ncv: int | None = None, progress: Progress | None = None) -> Extremes:
    """The k largest and k smallest (algebraic) eigenvalues of H(θ), by ARPACK's implicitly
    restarted Lanczos (`eigsh`, which="LA" then "SA") on HVPs.

    `maxiter` (ARPACK restarts, capped at MAX_LANCZOS_ITER) bounds the cost; when it runs out
    the eigenvalues that did converge come back with converged=False and a message, nothing is
    raised. `tol` is ARPACK's relative accuracy per eigenvalue. `ncv` is the number of Lanczos
    vectors kept between restarts (scipy's default: max(2k + 1, 20)); more of them converge a
    clustered end, such as a trained network's smallest eigenvalues, in far fewer restarts, at
    ncv × P float64 of memory. The starting vector comes from a numpy Generator seeded by `seed`,
    so the same call gives the same numbers.
    """
    if loss.size < 2:
        raise ValueError("Lanczos needs at least 2 parameters")
    k = max(1, min(int(k), loss.size - 1))  # ARPACK finds at most P - 1
    maxiter = max(1, min(int(maxiter), MAX_LANCZOS_ITER))
    start = loss.hvps
    op = _operator(loss, theta, progress)
    v0 = np.random.default_rng(seed).standard_normal(loss.size)  # (P,) float64
    ncv = None if ncv is None else max(k + 1, min(int(ncv), loss.size))
    top, top_msg = _ends(op, k, "LA", v0, maxiter, tol, ncv)
    bottom, bottom_msg = _ends(op, k, "SA", v0, maxiter, tol, ncv)
    message = "; ".join(m for m in (top_msg, bottom_msg) if m)
    return Extremes(np.sort(top)[::-1].copy(), np.sort(bottom), not message, loss.hvps - start, message)


# --- the spectral density by stochastic Lanczos quadrature ---------------------------------

@dataclass(frozen=True)
class Quadrature:
    """Per probe v, a Gauss quadrature of vᵀ f(H) v / vᵀv = Σ weights · f(nodes) (Ubaru, Chen &
    Saad 2017; Ghorbani, Krishnan & Xiao 2019). A probe whose Lanczos broke down early (its
    Krylov space was exhausted: the quadrature is exact) has fewer nodes; past `lengths` its row
    is padded with nodes 0 of weight 0."""

    nodes: np.ndarray  # (probes, steps) Ritz values: eigenvalues of the Lanczos tridiagonal
    weights: np.ndarray  # (probes, steps) squared first components of its eigenvectors; rows sum to 1
    lengths: np.ndarray  # (probes,) Lanczos steps each probe took
    hvps: int  # Hessian-vector products spent


def _lanczos(apply: Callable[[torch.Tensor], torch.Tensor], q: torch.Tensor, steps: int,
             breakdown: float) -> tuple[list[float], list[float]]:
    """Lanczos from q (P,) float64 with full reorthogonalization: the tridiagonal's diagonal
    (m,) and off-diagonal (m - 1,), m ≤ steps. Stops early when the next residual is below
    `breakdown` × the largest ‖Hq‖ seen (round-off: the Krylov space is exhausted)."""
    basis = torch.zeros(steps, q.numel(), dtype=torch.float64, device=q.device)  # (steps, P)
    basis[0] = q / torch.linalg.vector_norm(q)
    alpha: list[float] = []
    beta: list[float] = []
    scale = 0.0
    for j in range(steps):
        w = apply(basis[j])
        scale = max(scale, float(torch.linalg.vector_norm(w)))
        a = float(basis[j] @ w)
        alpha.append(a)
        if j == steps - 1:
            break
        w = w - a * basis[j] - (beta[-1] * basis[j - 1] if j else 0.0)
        done = basis[: j + 1]  # (j+1, P)
        for _ in range(2):  # full reorthogonalization; twice is enough (Parlett)
            w = w - done.T @ (done @ w)
        b = float(torch.linalg.vector_norm(w))
        if b <= breakdown * scale:
            break
        beta.append(b)
        basis[j + 1] = w / b
    return alpha, beta


def quadrature(apply: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor, steps: int,
               breakdown: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature nodes (m,) and weights (m,), m ≤ steps, of the spectral measure of a
    symmetric operator `apply` (float64 (P,) -> (P,)) seen from v: Σ weights · f(nodes) ≈
    vᵀ f(A) v / vᵀv. The nodes are the Lanczos tridiagonal's eigenvalues, the weights the
    squared first components of its eigenvectors (they sum to 1). After an early breakdown
    the m < steps nodes are exact: v lies in an m-dimensional invariant subspace."""
    alpha, beta = _lanczos(apply, v.to(torch.float64), steps, breakdown)
    t = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)  # (m, m)
    nodes, vectors = np.linalg.eigh(t)
    return nodes, vectors[0] ** 2


def slq(loss: Loss, theta: torch.Tensor, steps: int = 80, probes: int = 8, seed: int = 0,
        progress: Progress | None = None) -> Quadrature:
    """Stochastic Lanczos quadrature of H(θ)'s spectrum: `probes` Rademacher vectors (from a
    generator seeded by `seed`, never torch's global one), `steps` Lanczos steps each, in
    float64. Costs up to steps × probes HVPs and keeps steps × P float64 Lanczos vectors."""
    steps = max(1, min(int(steps), loss.size))  # the Krylov space has at most P dimensions
    probes = max(1, int(probes))
    t = theta.detach().to(device=loss.device, dtype=loss.dtype)
    gen = job_generator(seed, loss.device)
    breakdown = float(torch.finfo(loss.dtype).eps) ** 0.5
    start = loss.hvps

    def apply(q: torch.Tensor) -> torch.Tensor:
        out = hvp(loss, t, q).to(torch.float64)
        if progress is not None:
            progress(loss.hvps - start, steps * probes)
        return out

    nodes = np.zeros((probes, steps))
    weights = np.zeros((probes, steps))
    lengths = np.zeros(probes, dtype=np.int64)
    for p in range(probes):
        signs = torch.randint(0, 2, (loss.size,), generator=gen, device=loss.device)
        v = (2 * signs - 1).to(torch.float64)  # (P,) ±1
        theta_p, w_p = quadrature(apply, v, steps, breakdown)
        m = len(theta_p)
        nodes[p, :m], weights[p, :m], lengths[p] = theta_p, w_p, m
    return Quadrature(nodes, weights, lengths, loss.hvps - start)


def density(nodes: np.ndarray, weights: np.ndarray, grid: np.ndarray, sigma: float) -> np.ndarray:
    """Spectral density on `grid` (G,) eigenvalues: each node a Gaussian of width `sigma` (same
    unit as the eigenvalues) with its weight, averaged over probes. Integrates to about 1."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    nodes, weights = np.atleast_2d(nodes), np.atleast_2d(weights)  # (probes, m)
    grid = np.asarray(grid, dtype=np.float64)
    z = (grid[None, None, :] - nodes[:, :, None]) / sigma  # (probes, m, G)
    bumps = np.exp(-0.5 * z ** 2) / (sigma * np.sqrt(2 * np.pi))
    return (weights[:, :, None] * bumps).sum(1).mean(0)  # (G,)


def estimated_min_ratio(nodes: np.ndarray, weights: np.ndarray, tol: float | None = None) -> float:
    """Estimated share of eigenvalues above +tol: each probe's weight on nodes > tol, averaged.
    tol defaults to core.curvature's tolerance taken from the nodes (the extreme nodes converge
    first, to the extreme eigenvalues)."""
    nodes, weights = np.atleast_2d(nodes), np.atleast_2d(weights)
    if tol is None:
        tol = curvature.tolerance(nodes[weights > 0].tolist())
    return float((weights * (nodes > tol)).sum(1).mean())
