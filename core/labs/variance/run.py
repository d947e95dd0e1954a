"""The Initialization-variance lab's runs: the measurement at initialization (a quick job), and
a short training of the same pairs."""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from core import activations, data, device, init
from core.labs.base import Stop, never
from core.labs.variance.config import Config, TrainIt
from core.labs.vanishing.config import MAX_RUNS
from core.labs.vanishing.config import Config as Training
from core.labs.vanishing.run import run as train_runs
from core.labs.vanishing.run import script as training_script
from core.models import MLPSpec, build_mlp
from core.train import SATURATION_EPS

HIST_BINS = 40
_NORMAL = torch.randn(20_000, generator=torch.Generator().manual_seed(1234), dtype=torch.float64)  # ε ~ N(0, 1)


def combo_label(activation: str, initializer: str) -> str:
    return f"{activations.get(activation).label} + {init.get(initializer).label}"


def gaussian_moments(activation: str, ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per layer, E[f(z)²]/E[z²] and E[f′(z)²] for z ~ N(0, ms): the forward and backward
    factors of mean-field theory. ms: (L,) mean squares; non-finite or zero -> NaN."""
    ms = np.asarray(ms, dtype=np.float64)
    ok = np.isfinite(ms) & (ms > 0)
    fwd, bwd = np.full(len(ms), np.nan), np.full(len(ms), np.nan)
    if ok.any():
        scale = torch.from_numpy(np.sqrt(ms[ok]))[:, None]  # (K, 1)
        f, df = activations.derivative(activation, scale * _NORMAL[None, :])  # (K, N)
        fwd[ok] = (f.pow(2).mean(1) / scale[:, 0] ** 2).numpy()
        bwd[ok] = df.pow(2).mean(1).numpy()
    return fwd, bwd


def _one_seed(model, x: torch.Tensor, y: torch.Tensor, bounds) -> dict[str, np.ndarray]:
    """Per hidden layer (rows): pre-activation mean square, activation mean/std, gradient std
    of the loss w.r.t. the pre-activation, saturated share. Non-finite where it overflowed."""
    pre, post = [], []
    logits = model(x, capture=post, capture_pre=pre)
    for z in pre:
        z.retain_grad()
    loss = F.cross_entropy(logits, y)
    finite_loss = bool(torch.isfinite(loss))
    if finite_loss:
        loss.backward()
    with torch.no_grad():
        z, h = torch.stack(pre), torch.stack(post)  # (L, B, W)
        cols = [z.pow(2).mean((1, 2)), h.mean((1, 2)), h.std((1, 2))]
        grads = torch.stack([t.grad.std() if finite_loss and t.grad is not None else torch.tensor(math.nan)
                             for t in pre])
        cols.append(grads)
        if bounds is not None:
            lo, hi = bounds
            cols.append(((h - lo).abs().lt(SATURATION_EPS) | (hi - h).abs().lt(SATURATION_EPS)).float().mean((1, 2)))
        else:
            cols.append(torch.full((len(pre),), math.nan))
        table = torch.stack(cols).double().numpy()  # (5, L)
    keys = ["pre_ms", "act_mean", "act_std", "grad_std", "saturated"]
    return dict(zip(keys, table))


def _histograms(h: torch.Tensor, layers: list[int], bounds) -> list[dict]:
    """Share of activations per bin at the chosen (1-based) layers; h: (L, B, W)."""
    rows = []
    for layer in layers:
        if layer > h.shape[0]:
            continue
        v = h[layer - 1].flatten().double()
        v = v[torch.isfinite(v)]
        if v.numel() == 0:
            continue
        lo, hi = bounds if bounds is not None else (float(v.min()), float(v.max()))
        if hi <= lo:
            hi = lo + 1e-6
        counts = torch.histc(v, HIST_BINS, lo, hi)
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        share = (counts / counts.sum()).tolist()
        rows += [{"layer": layer, "bin_start": edges[i], "bin_end": edges[i + 1], "share": share[i]}
                 for i in range(HIST_BINS)]
    return rows


def measure_combo(config: Config, loaded: data.Data, activation: str, initializer: str) -> dict:
    """Averaged statistics per layer for one activation × initializer pair, plus theory."""
    spec = MLPSpec(config.depth, config.width, activation, init=initializer, bias=config.bias)
    x, y = loaded.features(loaded.train.x[:config.probe_size]), loaded.train.y[:config.probe_size]
    bounds = activations.get(activation).bounds
    per_seed, hists = [], []
    for k in range(config.seeds):
        model = build_mlp(loaded.input_dim, loaded.n_classes, spec, seed=config.seed + k, device=loaded.device)
        per_seed.append(_one_seed(model, x, y, bounds))
        if k == 0:
            with torch.no_grad():
                post: list[torch.Tensor] = []
                model(x, capture=post)
            hists = _histograms(torch.stack(post), [int(t) for t in config.hist_layers], bounds)
    stats = {key: np.mean([s[key] for s in per_seed], axis=0) for key in per_seed[0]}
    return {"activation": activation, "init": initializer, "combo": combo_label(activation, initializer),
            "layers": _layer_rows(stats, config, loaded.input_dim, activation, initializer), "hists": hists}


def _layer_rows(stats: dict[str, np.ndarray], config: Config, in_dim: int, activation: str,
                initializer: str) -> list[dict]:
    """Rows per layer with the measured gains and the mean-field gains beside them.

    Forward: E[z²_{l+1}] = fan_in · Var(W) · E[f(z_l)²] + Var(b)  (Var(b) = 0 but for PyTorch's default).
    Backward: Var(g_l) = fan_out · Var(W_{l+1}) · E[f′(z_l)²] · Var(g_{l+1}),  g = ∂loss/∂z.
    Each factor is evaluated at z_l ~ N(0, measured E[z_l²]), so theory and measurement can be
    compared layer by layer.
    """
    L, w = config.depth, config.width
    var_w = init.expected_std(initializer, w, w, activation=activation) ** 2  # hidden -> hidden layers
    var_b = init.get(initializer).bias_std(w) ** 2 if config.bias else 0.0
    forward_factors, backward_factors = gaussian_moments(activation, stats["pre_ms"])
    rows = []
    for i in range(L):
        ms = float(stats["pre_ms"][i])
        forward_factor, backward_factor = forward_factors[i], backward_factors[i]
        row = {"layer": i + 1, **{k: _clean(v[i]) for k, v in stats.items()}}
        if i + 1 < L:
            ok = math.isfinite(ms) and ms > 0
            row["forward_gain"] = _clean(stats["pre_ms"][i + 1] / ms if ok else math.nan)
            row["forward_theory"] = _clean(w * var_w * forward_factor + var_b / ms if ok else math.nan)
            g_here, g_next = stats["grad_std"][i], stats["grad_std"][i + 1]
            row["backward_gain"] = _clean((g_here / g_next) ** 2 if g_next and math.isfinite(g_next) else math.nan)
            row["backward_theory"] = _clean(w * var_w * backward_factor)
        rows.append(row)
    return rows


def _clean(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """One record per activation × initializer pair, measured at initialization."""
    dev = device.pick(config.device)
    loaded = data.load(config.dataset, seed=config.seed, device=dev)
    pairs = config.pairs()
    for n, (act, ini) in enumerate(pairs):
        if stop():
            return
        yield {"kind": "variance", "progress": (n + 1) / len(pairs), "status": "done",
               **measure_combo(config, loaded, act, ini)}


def training(config: TrainIt) -> Training:
    """The Vanishing-gradients lab's config for the first MAX_RUNS pairs."""
    return Training(runs=tuple(f"{a}/{i}" for a, i in config.pairs())[:MAX_RUNS], dataset=config.dataset,
                    depth=config.depth, width=config.width, epochs=config.train_epochs, seed=config.seed,
                    device=config.device)


def run_training(config: TrainIt, stop: Stop = never) -> Iterator[dict]:
    yield from train_runs(training(config), stop)



def script_training(config: TrainIt) -> str:
    """The training part as a script: the Vanishing-gradients lab's runs of its pairs."""
    return training_script(training(config))
