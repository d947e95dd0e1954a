"""MC dropout and calibration: stochastic passes, their summary, reliability bins, ECE, galleries
and out-of-distribution inputs.

MC dropout keeps dropout on at prediction time and averages T stochastic passes. The T passes
run as one batched forward per chunk of images: each image is repeated T times along the batch
dimension, so a pass is a slice of one big batch rather than a Python-level call.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.functional.classification import multiclass_calibration_error

from core import models
from core.data import Data

MAX_PASSES = 500
MAX_ROWS = 65_536  # rows per forward (images × passes): bounds memory at T = 500 on large sets


@contextlib.contextmanager
def _dropout_on(model: nn.Module, device: torch.device, seed: int) -> Iterator[None]:
    """Eval mode with only the dropout layers in train mode, their masks drawn from a generator
    seeded with `seed` (the model's own generators are put back after)."""
    was_training = model.training
    drops = models.dropout_layers(model)
    saved = [d.generator for d in drops]
    model.eval()
    for m in drops:
        m.train()
    models.use_generator(model, models.job_generator(seed, device))
    try:
        yield
    finally:
        model.train(was_training)
        for d, g in zip(drops, saved):
            d.generator = g


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Deterministic softmax probabilities (N, C): eval mode, dropout off."""
    was_training = model.training
    model.eval()
    probs = model(x).softmax(-1)
    model.train(was_training)
    return probs


@torch.no_grad()
def mc_probs(model: nn.Module, x: torch.Tensor, passes: int, *, seed: int = 0,
             max_rows: int = MAX_ROWS) -> torch.Tensor:
    """Softmax probabilities of `passes` stochastic passes, (T, N, C), for features x (N, D).

    Each chunk of n images is repeated T times, (T·n, D), and goes through the model once; row
    t·n + i of that batch is pass t of image i, so the output reshapes to (T, n, C).
    """
    if not 1 <= passes <= MAX_PASSES:
        raise ValueError(f"passes must be 1..{MAX_PASSES}, got {passes}")
    chunk = max(1, max_rows // passes)  # images per forward
    out = []
    with _dropout_on(model, x.device, seed):
        for i in range(0, len(x), chunk):
            xb = x[i:i + chunk]  # (n, D)
            logits = model(xb.repeat(passes, 1))  # (T·n, C)
            out.append(logits.softmax(-1).view(passes, len(xb), -1))
    return torch.cat(out, 1)


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Entropy in nats over the last axis, with 0·log 0 = 0."""
    return -torch.special.xlogy(p, p).sum(-1)


@dataclass
class Summary:
    mean: torch.Tensor  # (N, C) MC-mean probabilities
    std: torch.Tensor  # (N, C) std over the passes (population: 0 for one pass)
    entropy: torch.Tensor  # (N,) predictive entropy H[mean], nats: total uncertainty
    expected_entropy: torch.Tensor  # (N,) mean over passes of each pass's entropy: the aleatoric part
    mutual_info: torch.Tensor  # (N,) H[mean] − E[H]: the epistemic part (disagreement between passes)


def summarize(probs: torch.Tensor) -> Summary:
    """probs (T, N, C) -> statistics over the pass axis 0."""
    mean = probs.mean(0)
    total, aleatoric = entropy(mean), entropy(probs).mean(0)
    return Summary(mean, probs.std(0, correction=0), total, aleatoric, (total - aleatoric).clamp_min(0))


# --- calibration -----------------------------------------------------------------------------

def _bin_index(conf: torch.Tensor, bins: int) -> torch.Tensor:
    """torchmetrics' binning: bin i holds [i/bins, (i+1)/bins); a confidence of exactly 1 gets
    an extra bin `bins` of its own."""
    edges = torch.linspace(0, 1, bins + 1, dtype=conf.dtype, device=conf.device)
    return torch.bucketize(conf, edges, right=True) - 1


def ece(conf: torch.Tensor, correct: torch.Tensor, bins: int = 10) -> float:
    """Expected calibration error: Σ_b (n_b / N) · |accuracy_b − mean confidence_b|, with the
    bins of torchmetrics' multiclass_calibration_error (norm "l1")."""
    idx = _bin_index(conf, bins)
    # (n_b / N)·|a_b/n_b − c_b/n_b| = |a_b − c_b| / N with a_b, c_b the bin's sums
    c = conf.new_zeros(bins + 1).scatter_add_(0, idx, conf)
    a = conf.new_zeros(bins + 1).scatter_add_(0, idx, correct.to(conf.dtype))
    return float((a - c).abs().sum() / max(1, len(conf)))


def calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 10) -> float:
    """ECE of probabilities (N, C) against labels (N,), by torchmetrics: the figure reported."""
    return float(multiclass_calibration_error(probs, labels, num_classes=probs.shape[1], n_bins=bins, norm="l1"))


def reliability(conf: torch.Tensor, correct: torch.Tensor, bins: int = 10) -> list[dict]:
    """One row per confidence bin [lo, hi): count, mean confidence, accuracy (None when empty).
    A confidence of exactly 1 is counted in the last bin."""
    idx = _bin_index(conf, bins).clamp_max(bins - 1).cpu()  # binned in conf's own dtype, as ece() does
    conf = conf.double().cpu()
    n = torch.zeros(bins, dtype=torch.float64).scatter_add_(0, idx, torch.ones_like(conf))
    c = torch.zeros(bins, dtype=torch.float64).scatter_add_(0, idx, conf)
    a = torch.zeros(bins, dtype=torch.float64).scatter_add_(0, idx, correct.double().cpu())
    rows = []
    for i, (count, csum, asum) in enumerate(zip(n.tolist(), c.tolist(), a.tolist())):
        rows.append({"bin": i, "lo": i / bins, "hi": (i + 1) / bins, "count": int(count),
                     "confidence": csum / count if count else None, "accuracy": asum / count if count else None})
    return rows


# --- galleries ---------------------------------------------------------------------------------

def most_uncertain(score: torch.Tensor, k: int) -> list[int]:
    """Indices of the k highest scores (entropy or mutual information), highest first."""
    return score.argsort(descending=True, stable=True)[:k].tolist()


def confidently_wrong(probs: torch.Tensor, labels: torch.Tensor, k: int) -> list[int]:
    """Indices of wrong predictions, most confident first, at most k."""
    conf, pred = probs.max(-1)
    wrong = (pred != labels).nonzero().flatten()
    return wrong[conf[wrong].argsort(descending=True, stable=True)][:k].tolist()


# --- out-of-distribution inputs ------------------------------------------------------------------

def pixel_max(data: Data) -> float:
    """Largest raw pixel value: 16 for digits, 255 for 8-bit images."""
    return round(1 / data.scale)


def uniform_noise(data: Data, n: int, *, seed: int = 0) -> torch.Tensor:
    """(n, D) raw images whose every pixel is uniform over the dataset's pixel range."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, pixel_max(data) + 1, (n, data.input_dim), generator=g)
    return x.to(data.train.x.dtype).to(data.device)


def shuffled_pixels(x: torch.Tensor, *, seed: int = 0) -> torch.Tensor:
    """Each image's pixels in a random order of its own: the same ink, no shape. x: (N, D) raw."""
    g = torch.Generator().manual_seed(seed)
    order = torch.rand(x.shape, generator=g).argsort(1).to(x.device)  # (N, D)
    return x.gather(1, order)


def foreign_images(source: Data, target: Data, n: int) -> torch.Tensor:
    """The first n test images of `source` in the raw layout of `target` (N, D_target): channels
    averaged or repeated, resized (area when shrinking, bilinear when growing), values rescaled."""
    if source.image_shape is None or target.image_shape is None:
        raise ValueError("both datasets must be image sets")
    (cs, hs, ws), (ct, ht, wt) = source.image_shape, target.image_shape
    x = source.test.x[:n].float().view(-1, cs, hs, ws) * source.scale  # (n, Cs, Hs, Ws) in [0, 1]
    if cs != ct:
        x = x.mean(1, keepdim=True).expand(-1, ct, -1, -1)
    mode = "area" if ht <= hs else "bilinear"
    x = F.interpolate(x, size=(ht, wt), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    raw = (x / target.scale).round().clamp(0, pixel_max(target)).reshape(len(x), -1)
    return raw.to(target.train.x.dtype).to(target.device)


def pictures(raw: torch.Tensor, image_shape: tuple[int, int, int], scale: float, height: int = 80,
             margin: int = 3) -> list[np.ndarray]:
    """Raw images (K, D) -> uint8 arrays for display, (H', W') grey or (H', W', 3) colour, each
    pixel repeated so the picture is about `height` pixels tall and stays sharp, in a white
    frame `margin` pixels wide that keeps dark images in a row apart."""
    c, h, w = image_shape
    zoom = max(1, math.ceil(height / h))
    x = (raw.float().cpu() * scale * 255).round().clamp(0, 255).to(torch.uint8).view(-1, c, h, w)
    x = F.pad(x.repeat_interleave(zoom, 2).repeat_interleave(zoom, 3), (margin,) * 4, value=255)
    return [img[0].numpy() if c == 1 else img.permute(1, 2, 0).numpy() for img in x]
