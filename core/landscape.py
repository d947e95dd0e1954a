"""Views of a trained network's loss landscape: 1-D paths, 2-D slices and the trajectory's plane.

After Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets" (reference code:
github.com/tomgoldstein/loss-landscape). A network's weights are handled as one flat vector
(P,) in `named_parameters` order, so a checkpoint is a tensor and a direction is a tensor.

Every view needs the loss at many weight vectors. Those are evaluated in batches: a stack of
flat vectors (n, P) goes through `torch.func.functional_call` under `torch.func.vmap`, the
split's features shared by all n. A 41×41 slice is 1,681 networks; one at a time, each pays
the loop's own costs (copying weights in, a Python round trip, kernels too small to fill the
machine), which for a small network are most of the time.

Views are evaluated on a whole split in eval mode with mean cross-entropy, as `core.train.evaluate`
does, so a slice's centre is the loss the training curve showed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from core.data import Data, Split
from core.models import MLP
from core.train import evaluate

Progress = Callable[[int, int], None]  # progress(points_done, points_total)
Stop = Callable[[], bool]  # returns True when the caller wants the work to end

# Chunks of the batched evaluation, per device type: (points per chunk, activation floats per
# chunk). The examples per chunk follow: floats // (points × widest layer), so a chunk holds about
# that many floats per hidden layer whatever the network. On the CPU, 8 points × 2,000 examples ×
# 100 units × 4 B = 6.4 MB per layer for the digits MLP (the whole 1,078-example train split in one
# chunk), plus the chunk's weights, 8 × 27,710 × 4 B = 0.9 MB. Measured on one core, interleaved,
# 3 repeats: 2.96-3.20 s for the 41×41 digits slice against 3.43-3.64 s at 32 points × 250
# examples and 3.1-3.8 s at 4 to 16 points; a chunk takes about 15 ms, so `stop` is seen well
# within a second.
FIRST_LAYER_FLOATS = 16 * 2**20  # 64 MB: at most this much of first-layer outputs kept across point chunks
CHUNKS = {"cpu": (4, 800_000), "cuda": (256, 1 << 26), "mps": (128, 1 << 24)}
PATH_POINTS = 41  # α values on the default linear path, −0.5 to 1.5 in steps of 0.05


class Stopped(RuntimeError):
    """Raised by the batched evaluations when their `stop()` returned True; no result is kept."""


# --- flat weights ------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """Where each parameter lives in a flat vector: names and shapes in `named_parameters` order."""
    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]

    @property
    def numels(self) -> list[int]:
        return [s.numel() for s in self.shapes]

    @property
    def size(self) -> int:
        """P, the length of a flat vector."""
        return sum(self.numels)


def layout(model: nn.Module) -> Layout:
    named = list(model.named_parameters())
    return Layout(tuple(n for n, _ in named), tuple(p.shape for _, p in named))


def flatten(model: nn.Module) -> torch.Tensor:
    """The model's parameters as one detached vector (P,), a copy: a checkpoint."""
    return torch.cat([p.detach().reshape(-1) for _, p in model.named_parameters()])


def unflatten(flat: torch.Tensor, lay: Layout) -> dict[str, torch.Tensor]:
    """(P,) -> {name: view of `flat` in the parameter's shape}; works under vmap."""
    parts = torch.split(flat, lay.numels)
    return {name: part.view(shape) for name, part, shape in zip(lay.names, parts, lay.shapes)}


@torch.no_grad()
def load_flat(model: nn.Module, flat: torch.Tensor) -> None:
    """Copy a flat vector (P,) into the model's parameters, in place."""
    values = unflatten(flat, layout(model))
    for name, p in model.named_parameters():
        p.copy_(values[name])


# --- directions and axes -----------------------------------------------------------------

def random_directions(model: nn.Module, seed: int, count: int = 2) -> list[torch.Tensor]:
    """`count` filter-normalized Gaussian directions (P,) on the model's device.

    Filter normalization (Li et al. §4, `normalize_directions_for_weights` with
    ignore='biasbn'): each filter of the direction (a Linear weight's output row) is rescaled to
    the norm of the same filter of the weights, so a step of 1 moves every filter by its own
    size and networks of different scales give comparable pictures. Biases and normalization
    parameters (1-D tensors) get a zero direction. The draws come from a CPU generator seeded
    by `seed`, never torch's global one, so a seed gives the same directions on every device.
    """
    g = torch.Generator().manual_seed(seed)
    params = [p.detach() for _, p in model.named_parameters()]
    directions = []
    for _ in range(count):
        parts = []
        for w in params:
            d = torch.randn(w.shape, generator=g, dtype=w.dtype).to(w.device)  # drawn for 1-D too, as there
            if w.dim() <= 1:
                d = torch.zeros_like(w)
            else:
                rows, w_rows = d.reshape(w.shape[0], -1), w.reshape(w.shape[0], -1)  # (filters, fan_in)
                scale = w_rows.norm(dim=1, keepdim=True) / (rows.norm(dim=1, keepdim=True) + 1e-10)
                d = (rows * scale).reshape(w.shape)
            parts.append(d.reshape(-1))
        directions.append(torch.cat(parts))
    return directions


def axis(points: int, span: float) -> torch.Tensor:
    """`points` evenly spaced values from −span to +span (float64, CPU); with an odd count the
    middle one is exactly 0, so the grid passes through the centre itself."""
    if points < 1 or not span >= 0:
        raise ValueError(f"need points >= 1 and span >= 0, got {points}, {span}")
    if points == 1:
        return torch.zeros(1, dtype=torch.float64)
    half = (points - 1) / 2
    return span * (torch.arange(points, dtype=torch.float64) - half) / half


def path_alphas(points: int = PATH_POINTS, lo: float = -0.5, hi: float = 1.5) -> torch.Tensor:
    """α values for `linear_path` (float64); 0 and 1 fall exactly on the grid when the step divides them."""
    k = torch.arange(points, dtype=torch.float64)
    return lo + (hi - lo) * k / max(1, points - 1)


# --- batched evaluation ------------------------------------------------------------------

def _batched_loss(model: nn.Module, lay: Layout) -> Callable:
    """vmap over a stack of flat vectors (n, P) of: summed cross-entropy and correct count on (x, y).

    tie_weights=False: MLP reaches each hidden Linear by two paths (`linear` and `body.0`), and
    functional_call's tied-weight handling then leaves the passed tensors in the model after
    the call (pytorch/pytorch#164759). The names passed cover the module the forward uses anyway.
    """
    def one(flat: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = functional_call(model, unflatten(flat, lay), (x,), tie_weights=False)  # (E, classes)
        return F.cross_entropy(logits, y, reduction="sum"), (logits.argmax(1) == y).sum()

    return vmap(one, in_dims=(0, None, None))


def _chunks(lay: Layout, data: Data, batch: int | None, examples: int | None) -> tuple[int, int]:
    """(points, examples) per chunk: as given, else from CHUNKS for the data's device."""
    default_batch, floats = CHUNKS.get(data.device.type, CHUNKS["cuda"])
    batch = batch or default_batch
    widest = max((s[0] for s in lay.shapes if len(s) >= 2), default=1)  # units of the widest layer
    return batch, examples or max(1, floats // (batch * widest))


def evaluate_points(model: nn.Module, weights: Callable[[int, int], torch.Tensor], count: int,
                    data: Data, split: Split, *, batch: int | None = None, examples: int | None = None,
                    stop: Stop | None = None, progress: Progress | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy (each (count,), CPU float32) of `model` at `count` weight
    vectors, `weights(i, j)` giving rows i..j-1 as (j-i, P) on the data's device.

    Rows are made per chunk of `batch` points and the split is read in chunks of `examples`,
    so memory stays bounded whatever the count (defaults: from `CHUNKS` for the device). `stop` is
    checked before every chunk; when it returns True, `Stopped` is raised. `progress(done, total)`
    is called after every chunk of points. One host read at the end.
    """
    lay = layout(model)
    batch, examples = _chunks(lay, data, batch, examples)
    fn, n_ex = _batched_loss(model, lay), len(split)
    loss = torch.zeros(count, device=data.device)
    correct = torch.zeros(count, device=data.device, dtype=torch.long)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, count, batch):
                j = min(i + batch, count)
                w = weights(i, j)  # (n, P)
                for e in range(0, n_ex, examples):
                    if stop is not None and stop():
                        raise Stopped(f"stopped after {i} of {count} points")
                    sums, hits = fn(w, data.features(split.x[e:e + examples]), split.y[e:e + examples])  # (n,), (n,)
                    loss[i:j] += sums
                    correct[i:j] += hits
                if progress is not None:
                    progress(j, count)
    finally:
        model.train(was_training)
    out = torch.stack([loss, correct.float()]).div(max(1, n_ex)).cpu()  # (2, count)
    return out[0], out[1]


# --- 2-D slices and the linear path --------------------------------------------------------

@dataclass
class Surface:
    """Loss and accuracy at center + a·d1 + b·d2; row i is a_values[i], column j is b_values[j]."""
    a_values: torch.Tensor  # (A,) float64, in units of d1
    b_values: torch.Tensor  # (B,) float64, in units of d2
    loss: torch.Tensor  # (A, B) mean cross-entropy, CPU float32
    acc: torch.Tensor  # (A, B) accuracy in [0, 1]


def _plane_points(center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
                  a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(n,) coefficient pairs -> (n, P) weight vectors. The batched grid and the point-by-point
    reference both use this, so they evaluate bit-identical weights."""
    a, b = a.to(center), b.to(center)
    return center + a[:, None] * d1 + b[:, None] * d2


def grid_losses(model: nn.Module, center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
                a_values: torch.Tensor | Sequence[float], b_values: torch.Tensor | Sequence[float],
                data: Data, split: Split, *, batch: int | None = None, examples: int | None = None,
                stop: Stop | None = None, progress: Progress | None = None) -> Surface:
    """The loss landscape on the plane through `center` (P,) spanned by `d1`, `d2` (P,), at every
    (a, b) of the grid, evaluated in batches (`evaluate_points`; raises `Stopped` on `stop`).
    The model's own weights are not touched."""
    a_values = torch.as_tensor(a_values, dtype=torch.float64)
    b_values = torch.as_tensor(b_values, dtype=torch.float64)
    n_b = len(b_values)

    def weights(i: int, j: int) -> torch.Tensor:
        idx = torch.arange(i, j)  # row-major over (a, b)
        return _plane_points(center, d1, d2, a_values[idx // n_b], b_values[idx % n_b])

    if _plain_mlp(model):
        ab = torch.stack(torch.meshgrid(a_values, b_values, indexing="ij"), -1).reshape(-1, 2)  # (A·B, 2)
        loss, acc = plane_losses(model, center, torch.stack([d1, d2]), ab, data, split, batch=batch,
                                 examples=examples, stop=stop, progress=progress)
    else:
        loss, acc = evaluate_points(model, weights, len(a_values) * n_b, data, split, batch=batch,
                                    examples=examples, stop=stop, progress=progress)
    shape = (len(a_values), n_b)
    return Surface(a_values, b_values, loss.view(shape), acc.view(shape))


def _plain_mlp(model: nn.Module) -> bool:
    """Whether `model` is our MLP of Linear -> activation blocks (no normalization), which
    `plane_losses` evaluates with stacked weights."""
    spec = getattr(model, "spec", None)
    return (isinstance(model, MLP) and spec is not None and spec.norm == "none" and spec.bias
            and all(len(b.body) == 2 for b in model.blocks))


def plane_losses(model: MLP, base: torch.Tensor, dirs: torch.Tensor, coeffs: torch.Tensor, data: Data,
                 split: Split, *, batch: int | None = None, examples: int | None = None, stop: Stop | None = None,
                 progress: Progress | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy (each (n,), CPU float32) of a plain MLP at the n weight
    vectors base + coeffs[i] @ dirs (base (P,), dirs (k, P), coeffs (n, k)), in eval mode.

    The weights are affine in the coefficients, and so is the first layer's output: X Wᵢᵀ + bᵢ =
    (X W_baseᵀ + b_base) + Σⱼ cᵢⱼ (X W_dirⱼᵀ + b_dirⱼ). Those k + 1 products are computed once per
    chunk of examples, so each point's first layer costs k multiply-adds per unit instead of a
    matrix product (a quarter of the digits net's work). The later layers run for a chunk of
    points at once with stacked weights, (n, out, in), through batched matrix products, as the
    race stacks its models. Same chunking, `stop` and `progress` as `evaluate_points`.
    """
    lay = layout(model)
    batch, examples = _chunks(lay, data, batch, examples)
    count, dev = len(coeffs), data.device
    coeffs = coeffs.to(device=dev, dtype=torch.float32)  # (n, k)
    rows = torch.cat([base[None], dirs]).to(device=dev, dtype=torch.float32)  # (1 + k, P)
    parts = dict(zip(lay.names, torch.split(rows, lay.numels, dim=1)))  # name -> (1 + k, numel)
    # (1 + k, in, out) weights, transposed once so a chunk's stacked weights need no copy; (1 + k, out) biases
    layers = [(parts[f"{prefix}.weight"].view(-1, *shape).transpose(1, 2).contiguous(), parts[f"{prefix}.bias"])
              for prefix, shape in _linear_shapes(lay)]
    acts = [block.body[1] for block in model.blocks]
    loss = torch.zeros(count, device=dev)
    correct = torch.zeros(count, device=dev, dtype=torch.long)
    n_ex = len(split)
    w1, b1 = layers[0]
    keep = (1 + len(dirs)) * n_ex * w1.shape[1] <= FIRST_LAYER_FLOATS  # keep every chunk's first layer
    firsts: dict[int, torch.Tensor] = {}

    def first(e: int, x: torch.Tensor) -> torch.Tensor:
        """(1 + k, E, H): the first layer's output for the base, then for each direction."""
        if e in firsts:
            return firsts[e]
        out = torch.einsum("ed,kdo->keo", x, w1) + b1[:, None, :]
        if keep:
            firsts[e] = out
        return out

    with torch.no_grad():
        for i in range(0, count, batch):
            c = coeffs[i:i + batch]  # (n, k)
            n = len(c)
            weights = [(w[0] + torch.einsum("nk,kio->nio", c, w[1:]), b[0] + c @ b[1:])  # (n, in, out), (n, out)
                       for w, b in layers[1:]]
            for e in range(0, n_ex, examples):
                if stop is not None and stop():
                    raise Stopped(f"stopped after {i} of {count} points")
                x, y = data.features(split.x[e:e + examples]), split.y[e:e + examples]  # (E, D), (E,)
                z = first(e, x)
                h = z[0] + torch.einsum("nk,keh->neh", c, z[1:])  # (n, E, H)
                for act, (w_n, b_n) in zip(acts, weights):
                    h = torch.baddbmm(b_n[:, None, :], act(h), w_n)  # (n, E, out)
                ce = F.cross_entropy(h.reshape(-1, h.shape[-1]), y.repeat(n), reduction="none").view(n, -1)  # (n, E)
                loss[i:i + n] += ce.sum(1)
                correct[i:i + n] += (h.argmax(2) == y).sum(1)
            if progress is not None:
                progress(i + n, count)
    out = torch.stack([loss, correct.float()]).div(max(1, n_ex)).cpu()  # (2, n)
    return out[0], out[1]


def _linear_shapes(lay: Layout) -> list[tuple[str, torch.Size]]:
    """(module prefix, weight shape) of every Linear, in forward order."""
    return [(name[: -len(".weight")], shape) for name, shape in zip(lay.names, lay.shapes)
            if name.endswith(".weight") and len(shape) == 2]


def grid_losses_pointwise(model: nn.Module, center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
                          a_values: torch.Tensor | Sequence[float], b_values: torch.Tensor | Sequence[float],
                          data: Data, split: Split) -> Surface:
    """Reference for `grid_losses`: each point's weights loaded into the model, then
    `core.train.evaluate`, one point at a time. The model's weights are restored afterwards."""
    a_values = torch.as_tensor(a_values, dtype=torch.float64)
    b_values = torch.as_tensor(b_values, dtype=torch.float64)
    loss = torch.zeros(len(a_values), len(b_values))
    acc = torch.zeros_like(loss)
    saved = flatten(model)
    try:
        for i in range(len(a_values)):
            for j in range(len(b_values)):
                load_flat(model, _plane_points(center, d1, d2, a_values[i:i + 1], b_values[j:j + 1])[0])
                loss[i, j], acc[i, j] = evaluate(model, data, split)
    finally:
        load_flat(model, saved)
    return Surface(a_values, b_values, loss, acc)


@dataclass
class LinePath:
    """Loss and accuracy along θ(α) = θ0 + α(θ1 − θ0)."""
    alphas: torch.Tensor  # (K,) float64
    loss: torch.Tensor  # (K,) mean cross-entropy, CPU float32
    acc: torch.Tensor  # (K,) accuracy in [0, 1]


def linear_path(model: nn.Module, theta0: torch.Tensor, theta1: torch.Tensor, data: Data, split: Split,
                alphas: torch.Tensor | Sequence[float] | None = None, *, batch: int | None = None,
                examples: int | None = None, stop: Stop | None = None,
                progress: Progress | None = None) -> LinePath:
    """The loss on the straight line from θ0 (P,) to θ1 (P,) (Goodfellow et al. 2015), beyond
    both ends by default (`path_alphas`). torch.lerp gives θ0 and θ1 exactly at α = 0 and 1.
    Evaluated in batches (`evaluate_points`; raises `Stopped` on `stop`)."""
    alphas = path_alphas() if alphas is None else torch.as_tensor(alphas, dtype=torch.float64)

    def weights(i: int, j: int) -> torch.Tensor:
        return torch.lerp(theta0, theta1, alphas[i:j, None].to(theta0))  # (n, P)

    loss, acc = evaluate_points(model, weights, len(alphas), data, split, batch=batch, examples=examples,
                                stop=stop, progress=progress)
    return LinePath(alphas, loss, acc)


# --- the trajectory's plane ----------------------------------------------------------------

@dataclass
class Plane:
    """The plane that best holds a training trajectory (Li et al. §7)."""
    center: torch.Tensor  # (P,) the final checkpoint
    d1: torch.Tensor  # (P,) unit first principal direction
    d2: torch.Tensor  # (P,) unit second principal direction
    explained: torch.Tensor  # (2,) float64 share of the path's variance along d1, d2
    coords: torch.Tensor  # (K, 2) float64 every checkpoint's (d1, d2) coordinates; the last is (0, 0)


def trajectory_plane(checkpoints: Sequence[torch.Tensor] | torch.Tensor) -> Plane:
    """PCA of the trajectory: the top two principal directions of the rows θ_i − θ_final.

    As the reference code (sklearn's PCA), the rows are centred before the SVD; the coordinates
    are the uncentred rows' projections, so the final checkpoint lies at exactly (0, 0). The SVD
    runs in float64 on the CPU, and each direction's sign is fixed so that the checkpoint farthest
    along it has a negative coordinate: the path arrives at the centre from the left and below.
    """
    thetas = checkpoints if isinstance(checkpoints, torch.Tensor) else torch.stack(list(checkpoints))
    if thetas.dim() != 2 or len(thetas) < 2:
        raise ValueError(f"need at least 2 checkpoints as (K, P), got shape {tuple(thetas.shape)}")
    final = thetas[-1]
    rows = (thetas - final).double().cpu()  # (K, P)
    _, s, vh = torch.linalg.svd(rows - rows.mean(0), full_matrices=False)  # s (min(K, P),), vh (·, P)
    dirs = vh[:2]  # (2, P)
    coords = rows @ dirs.T  # (K, 2)
    far = coords.abs().argmax(0)  # (2,)
    sign = torch.where(coords[far, torch.arange(2)] > 0, -1.0, 1.0).double()  # (2,)
    dirs, coords = dirs * sign[:, None], coords * sign
    var = s.square()
    explained = var[:2] / var.sum() if var.sum() > 0 else torch.zeros(2, dtype=torch.float64)
    d1, d2 = dirs.to(final)
    return Plane(final.detach().clone(), d1, d2, explained, coords)


def plane_axes(plane: Plane, points: int = 21, margin: float = 0.25,
               min_share: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Grid values along d1 and d2 covering the projected path: ±(1 + margin)·max|coordinate|
    per axis, centred on the final checkpoint. An axis the path barely moves along still gets
    `min_share` of the other's span, so the picture is never a sliver."""
    spans = (1 + margin) * plane.coords.abs().amax(0)  # (2,)
    top = float(spans.max())
    if top == 0:
        spans = torch.ones(2, dtype=torch.float64)
    else:
        spans = spans.clamp_min(min_share * top)
    return axis(points, float(spans[0])), axis(points, float(spans[1]))


def trajectory_surface(model: nn.Module, plane: Plane, data: Data, split: Split, *, points: int = 21,
                       margin: float = 0.25, **kwargs) -> Surface:
    """The loss on the trajectory's plane (`grid_losses` with the PCA directions, `plane_axes`)."""
    a_values, b_values = plane_axes(plane, points, margin)
    return grid_losses(model, plane.center, plane.d1, plane.d2, a_values, b_values, data, split, **kwargs)
