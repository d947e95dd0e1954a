"""Vanishing and exploding gradients: deep MLPs side by side, per-layer gradients watched live."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

from core import activations, device, init, optim
from core.experiments import base
from core.experiments.common import Stop, load_data, never, tag_runs
from core.models import NORMS, MLPSpec, build_mlp
from core.train import TrainSpec, train

MAX_RUNS = 10


@dataclass(frozen=True)
class RunSpec:
    """One configuration of the side-by-side comparison."""

    label: str  # legend entry
    activation: str  # core.activations name
    init: str  # core.init name
    norm: str = "none"  # core.models.NORMS
    clip: float = 0.0  # gradient-norm clip; 0 = off
    optimizer: str = ""  # overrides the lab's optimizer when set
    lr: float = 0.0  # overrides the lab's learning rate when > 0

    def text(self) -> str:
        """The spec as `activation/init[/key=value...]`, the form `parse_run` reads."""
        extra = [f"norm={self.norm}"] if self.norm != "none" else []
        extra += [f"clip={self.clip:g}"] if self.clip else []
        extra += [f"optimizer={self.optimizer}"] if self.optimizer else []
        extra += [f"lr={self.lr:g}"] if self.lr else []
        return "/".join([self.activation, self.init, *extra])


# Outcomes measured on digits at depth 20, width 100, SGD at 0.05 (see the README).
PRESETS: dict[str, RunSpec] = {
    "sigmoid-glorot": RunSpec("sigmoid + Glorot", "sigmoid", "glorot_normal"),
    "sigmoid-naive": RunSpec("sigmoid + N(0,1)", "sigmoid", "naive"),
    "tanh-naive": RunSpec("tanh + N(0,1)", "tanh", "naive"),
    "relu-naive": RunSpec("ReLU + N(0,1)", "relu", "naive"),
    "relu-he": RunSpec("ReLU + He", "relu", "he_normal"),
    "selu-lecun": RunSpec("SELU + LeCun", "selu", "lecun_normal"),
    "sigmoid-glorot-bn": RunSpec("sigmoid + Glorot + batch norm", "sigmoid", "glorot_normal", norm="batchnorm_before"),
    "relu-he-momentum": RunSpec("ReLU + He, momentum 0.05", "relu", "he_normal", optimizer="momentum", lr=0.05),
    "relu-he-momentum-clip": RunSpec("ReLU + He, momentum 0.05 + clipping", "relu", "he_normal", clip=1.0,
                                     optimizer="momentum", lr=0.05),
}


def parse_run(text: str) -> RunSpec:
    """A preset key, or `activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..]`."""
    if text in PRESETS:
        return PRESETS[text]
    parts = text.split("/")
    if len(parts) < 2:
        raise ValueError(f"run {text!r} is neither a preset ({', '.join(PRESETS)}) "
                         "nor activation/init[/norm=..][/clip=..][/optimizer=..][/lr=..]")
    act, ini = parts[0], parts[1]
    activations.get(act), init.get(ini)
    kw: dict = {}
    for part in parts[2:]:
        key, _, value = part.partition("=")
        if key == "norm" and value in NORMS:
            kw["norm"] = value
        elif key in ("clip", "lr"):
            try:
                kw[key] = float(value)
            except ValueError:
                raise ValueError(f"{key} in run {text!r} must be a number, got {value!r}") from None
            if not (0 <= kw[key] <= 100 and math.isfinite(kw[key])):
                raise ValueError(f"{key} in run {text!r} must be 0..100")
        elif key == "optimizer":
            optim.get(value)
            kw["optimizer"] = value
        else:
            raise ValueError(f"run {text!r}: unknown part {part!r}; use norm= ({', '.join(NORMS)}), clip=, optimizer=, lr=")
    label = f"{activations.get(act).label} + {init.get(ini).label}"
    label += "".join(f", {k} {v:g}" if isinstance(v, float) else f", {k} {v}" for k, v in kw.items())
    return RunSpec(label, act, ini, **kw)


@dataclass(frozen=True)
class Config:
    runs: tuple = base.param(("sigmoid-glorot", "tanh-naive", "relu-naive", "relu-he"),
                             "configurations side by side: preset keys or activation/init[/norm=..][/clip=..]",
                             lo=1, hi=MAX_RUNS)
    dataset: str = base.dataset_param()
    depth: int = base.param(20, "hidden layers", lo=1, hi=100)
    width: int = base.param(100, "units per hidden layer", lo=1, hi=1024)
    optimizer: str = base.param("sgd", "optimizer for every run without its own", choices=optim.names)
    lr: float = base.param(0.05, "learning rate for every run without its own", lo=1e-6, hi=100.0)
    epochs: int = base.param(10, "passes over the train split", lo=1, hi=100)
    batch_size: int = base.param(32, "examples per step", lo=1, hi=4096)
    seed: int = base.seed_param()
    device: str = base.device_param()

    def __post_init__(self) -> None:
        base.validate(self)
        for text in self.runs:
            parse_run(text)


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train every configuration in turn on the same data, seed and batch order."""
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    for i, text in enumerate(config.runs):
        spec = parse_run(text)
        model = build_mlp(loaded.input_dim, loaded.n_classes,
                          MLPSpec(config.depth, config.width, spec.activation, init=spec.init, norm=spec.norm),
                          seed=config.seed, device=dev)
        tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size,
                          optimizer=spec.optimizer or config.optimizer, lr=spec.lr or config.lr,
                          clip_norm=spec.clip, track_activations=True, seed=config.seed)
        yield from tag_runs(train(model, loaded, tspec, stop=stop), run=spec.label, index=i,
                            n_runs=len(config.runs), depth=config.depth, chance=1 / loaded.n_classes)
        if stop():
            return


# --- the verdict, computed from measured numbers ------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10(x: float) -> str:
    """1.3e-12 -> '10⁻¹²' (the nearest power of ten)."""
    return "10" + str(round(math.log10(x))).translate(_SUPERSCRIPT)


def _ratio_words(layers: list[dict], depth: int) -> str | None:
    grads = {row["layer"]: row.get("grad_norm") for row in layers}
    first, last = grads.get(1), grads.get(depth)
    if first is None or last is None or depth < 2:
        return None
    if last == 0:
        return f"layer {depth} gets no gradient at all"
    if first == 0:
        return "layer 1 gets no gradient at all (its units are saturated or dead)"
    r = first / last
    if r < 1e-3:
        return f"layer 1 gets {pow10(r)} of the gradient of layer {depth}: vanishing"
    if r > 1e3:
        return f"layer 1 gets {pow10(r)} times the gradient of layer {depth}: exploding toward the input"
    return f"gradients of layers 1 and {depth} are within {max(r, 1 / r):.1f}× of each other: no vanishing or exploding"


def verdict(records: list[dict]) -> str:
    """Plain words for one run, from its records (epoch 0 = at initialization)."""
    if not records:
        return "not started"
    last, depth = records[-1], records[-1].get("depth", 0)
    if last.get("status") == "diverged":
        return f"{last.get('message', 'diverged')}: the loss overflowed to inf/NaN."
    parts = []
    first = records[0]
    if first.get("epoch") == 0 and (words := _ratio_words(first.get("layers", []), depth)):
        parts.append(f"At initialization {words}.")
    if last is not first and (words := _ratio_words(last.get("layers", []), depth)):
        parts.append(f"At epoch {last['epoch']:g} {words}.")
    sat = [row["saturated"] for row in last.get("layers", []) if row.get("saturated") is not None]
    if sat and (share := sum(sat) / len(sat)) >= 0.2:
        parts.append(f"{share:.0%} of units sit within 0.01 of a bound (saturated).")
    acc, chance = last.get("val_acc"), last.get("chance", 0.1)
    if acc is not None and last is not first:
        learns = "it learns" if acc >= 2 * chance else "it does not learn"
        parts.append(f"Validation accuracy {acc:.0%} (chance {chance:.0%}): {learns}.")
    return " ".join(parts) or "measuring..."


base.EXPERIMENTS.add("vanishing", base.Experiment(
    "vanishing", "Vanishing gradients",
    "deep nets side by side: gradient norm per layer over training, saturation, divergence",
    Config, run))
