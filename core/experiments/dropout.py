"""Dropout and uncertainty: one network per dropout rate trained live on a small train subset,
then MC dropout, out-of-distribution inputs and calibration on the trained networks."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
import torch

from core import data, device, frames, optim
from core import uncertainty as U
from core.experiments import base
from core.experiments.common import Stop, load_data, never, tag_runs
from core.models import MLP, MLPSpec, build_mlp
from core.train import TrainSpec, train

KINDS = {"dropout": ("relu", "he_normal"), "alpha_dropout": ("selu", "lecun_normal")}  # kind -> activation, init
MAX_RATES, MAX_RATE = 6, 0.9
MAX_TEST = 1000  # test images analysed (all of digits' 360)
OOD_IMAGES = 100  # images per out-of-distribution source
BINS = 10  # confidence bins of the reliability diagrams and the ECE
GALLERY = 24  # images per gallery
TEST, NOISE, SHUFFLED = "test images", "uniform noise", "shuffled pixels"
ESTIMATES = ("deterministic", "MC dropout")
CLASS_ESTIMATES = ("MC-dropout mean ± 1 std", "deterministic (dropout off)")  # the per-image chart's legend


def image_sets() -> list[str]:
    return [n for n in data.names() if data.DATASETS.get(n).kind != "synthetic"]


@dataclass(frozen=True)
class Config:
    rates: tuple = base.param((0.0, 0.2, 0.5), f"dropout rates compared, one network each, 0..{MAX_RATE} (0 = none)",
                              lo=1, hi=MAX_RATES)
    kind: str = base.param("dropout", "dropout (with ReLU + He) or alpha_dropout (with SELU + LeCun)",
                           choices=tuple(KINDS))
    dataset: str = base.param("digits", "image dataset", choices=image_sets)
    train_size: int = base.param(200, "train examples used, a subset so that the net can over-fit; "
                                      "validation and test splits stay whole", lo=50, hi=60_000)
    depth: int = base.param(3, "hidden layers", lo=1, hi=6)
    width: int = base.param(256, "units per hidden layer", lo=16, hi=1024)
    optimizer: str = base.param("sgd", "optimizer", choices=optim.names)
    lr: float = base.param(0.05, "learning rate", lo=1e-5, hi=1.0)
    epochs: int = base.param(60, "passes over the train subset", lo=1, hi=200)
    batch_size: int = base.param(32, "examples per step", lo=1, hi=1024)
    seed: int = base.seed_param()
    device: str = base.device_param()

    def __post_init__(self) -> None:
        try:  # text from a URL or the command line, or numbers
            rates = tuple(float(r) for r in self.rates)
        except (TypeError, ValueError):
            raise ValueError(f"rates must be numbers 0..{MAX_RATE}, got {self.rates!r}") from None
        object.__setattr__(self, "rates", rates)
        base.validate(self)
        for r in rates:
            if not (math.isfinite(r) and 0 <= r <= MAX_RATE):
                raise ValueError(f"rates must be 0..{MAX_RATE}, got {r:g}")
        if len(set(rates)) != len(rates):
            raise ValueError(f"rates must not repeat, got {', '.join(f'{r:g}' for r in rates)}")

    def spec(self, rate: float) -> MLPSpec:
        activation, initializer = KINDS[self.kind]
        return MLPSpec(self.depth, self.width, activation, init=initializer,
                       dropout=self.kind if rate > 0 else "none", dropout_p=rate)

    def labels(self) -> list[str]:
        return [run_label(self.kind, r) for r in self.rates]


def run_label(kind: str, rate: float) -> str:
    return "no dropout" if rate == 0 else f"{kind.replace('_', ' ')} {rate:g}"


def train_subset(loaded: data.Data, size: int) -> data.Data:
    """The first `size` train examples (the split is already in random order); the rest stay."""
    return dataclasses.replace(loaded, train=data.Split(loaded.train.x[:size], loaded.train.y[:size]))


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    """Train one network per rate from the same weights on the same batches; after each, a
    record of kind "model" hands its weights to the MC-dropout view."""
    dev = device.pick(config.device)
    loaded = yield from load_data(config.dataset, seed=config.seed, device=dev, stop=stop)
    if loaded is None:
        return
    small = train_subset(loaded, config.train_size)
    tspec = TrainSpec(epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                      layer_stats=False, eval_train=True, seed=config.seed)
    n = len(config.rates)
    for i, (rate, label) in enumerate(zip(config.rates, config.labels())):
        model = build_mlp(small.input_dim, small.n_classes, config.spec(rate), seed=config.seed, device=dev)
        last: dict = {}
        for last in tag_runs(train(model, small, tspec, stop=stop), run=label, index=i, n_runs=n,
                             rate=rate, train_size=len(small.train)):
            yield last
        if stop():
            return
        if last.get("status") == "done":
            yield model_record(model, label, rate, progress=(i + 1) / n)


def model_record(model: MLP, label: str, rate: float, *, progress: float) -> dict:
    """The trained weights (on the CPU) with what rebuilds the network."""
    return {"kind": "model", "run": label, "rate": rate, "spec": dataclasses.asdict(model.spec),
            "in_dim": model.linears[0].in_features, "n_classes": model.head.out_features,
            "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, "progress": progress}


def models(records: list[dict]) -> dict[str, dict]:
    """Run label -> its model record, for the runs that finished."""
    return {r["run"]: r for r in records if r.get("kind") == "model"}


def rebuild(rec: dict, dev: torch.device) -> MLP:
    model = build_mlp(rec["in_dim"], rec["n_classes"], MLPSpec(**rec["spec"]), device=dev)
    model.load_state_dict(rec["state"])
    return model.eval()


base.EXPERIMENTS.add("dropout", base.Experiment(
    "dropout", "Dropout and uncertainty",
    "the same net at several dropout rates on a small subset; MC dropout, out-of-distribution inputs, calibration",
    Config, run))


# --- training tables ----------------------------------------------------------------------------

def curves(records: list[dict]) -> pd.DataFrame:
    """Learning curves with the train split measured with dropout off, as the validation split is."""
    return frames.curves(records, train_eval=True)


def gaps(records: list[dict]) -> pd.DataFrame:
    """Per run and epoch end: loss gap (validation − train, nats) and accuracy gap (train − validation)."""
    rows = []
    for r in frames.train_records(records):
        if r.get("epoch_end") and r.get("train_eval_loss") is not None and r.get("val_loss") is not None:
            at = {"run": r["run"], "epoch": r["epoch"]}
            rows.append({**at, "metric": "loss", "value": r["val_loss"] - r["train_eval_loss"]})
            rows.append({**at, "metric": "accuracy", "value": r["train_eval_acc"] - r["val_acc"]})
    return pd.DataFrame(rows, columns=["run", "epoch", "metric", "value"])


def summary(records: list[dict], *, ended: bool = False) -> pd.DataFrame:
    """Per run at its latest report: accuracies and losses (train with dropout off), the gap, and
    the best validation loss with its epoch. With `ended` (the job is over), a run whose last
    record still says "running" was stopped."""
    rows = []
    for run, recs in frames.by_run(records).items():
        last = recs[-1]
        ends = [r for r in recs if r.get("epoch_end") and r.get("val_loss") is not None]
        best = min(ends, key=lambda r: r["val_loss"]) if ends else {}
        train_acc, val_acc = last.get("train_eval_acc"), last.get("val_acc")
        stopped = last.get("status") == "cancelled" or (ended and last.get("status") == "running")
        status = "stopped" if stopped else last.get("status")
        rows.append({"run": run, "status": status, "epoch": last.get("epoch"),
                     "train accuracy": train_acc, "validation accuracy": val_acc,
                     "gap": None if train_acc is None or val_acc is None else train_acc - val_acc,
                     "train loss": last.get("train_eval_loss"), "validation loss": last.get("val_loss"),
                     "best validation loss": best.get("val_loss"), "at epoch": best.get("epoch")})
    return pd.DataFrame(rows)


# --- MC dropout on a trained network ------------------------------------------------------------

@dataclass
class Analysis:
    """What the MC view draws, as plain arrays and frames (cacheable, no tensors)."""

    run: str
    passes: int
    has_dropout: bool
    image_shape: tuple[int, int, int]
    scale: float
    class_names: tuple[str, ...]
    raw: dict[str, np.ndarray]  # source -> (N, D) raw images
    labels: dict[str, np.ndarray]  # source -> (N,) labels, -1 where there are none
    det: dict[str, np.ndarray]  # source -> (N, C) deterministic probabilities
    mean: dict[str, np.ndarray]  # source -> (N, C) MC-mean probabilities
    std: dict[str, np.ndarray]  # source -> (N, C) std over the passes
    table: pd.DataFrame  # one row per image of every source
    ranked: dict[str, list[int]]  # gallery -> test-image indices, in order
    reliability: pd.DataFrame  # estimate, bin, lo, hi, count, share, confidence, accuracy
    ece: dict[str, float]  # estimate -> ECE by torchmetrics
    accuracy: dict[str, float]  # estimate -> test accuracy


def sources(loaded: data.Data, *, seed: int = 0) -> dict[str, tuple[torch.Tensor, torch.Tensor | None]]:
    """Images fed to the trained net: the test split, noise, shuffled pixels and every other
    cached image set resized to this one's shape. name -> (raw (N, D), labels or None)."""
    test_x = loaded.test.x[:MAX_TEST]
    out = {TEST: (test_x, loaded.test.y[:MAX_TEST]),
           NOISE: (U.uniform_noise(loaded, OOD_IMAGES, seed=seed), None),
           SHUFFLED: (U.shuffled_pixels(test_x[:OOD_IMAGES], seed=seed), None)}
    for name in image_sets():
        if name != loaded.name and data.is_cached(name):
            other = data.load(name, seed=seed, size=data.MIN_SIZE)  # the test split is whole
            out[data.DATASETS.get(name).label] = (U.foreign_images(other, loaded, OOD_IMAGES), None)
    return out


def analyse(config: Config, rec: dict, passes: int, *, seed: int = 0) -> Analysis:
    """T = `passes` stochastic passes of the trained network `rec` over every source."""
    dev = device.pick(config.device)
    loaded = data.load(config.dataset, seed=config.seed, device=dev)
    model = rebuild(rec, dev)
    out: dict[str, dict] = {k: {} for k in ("raw", "labels", "det", "mean", "std")}
    rows, test = [], None
    for name, (raw, labels) in sources(loaded, seed=seed).items():
        x = loaded.features(raw)
        det, s = U.predict(model, x), U.summarize(U.mc_probs(model, x, passes, seed=seed))
        y = labels if labels is not None else torch.full((len(raw),), -1, device=raw.device)
        if name == TEST:
            test = (det, s, y)
        for key, value in (("raw", raw), ("labels", y), ("det", det), ("mean", s.mean), ("std", s.std)):
            out[key][name] = value.cpu().numpy()
        rows.append(_image_rows(name, det, s, y))
    det, s, y = test
    return Analysis(rec["run"], passes, bool(U.dropout_modules(model)), loaded.image_shape, loaded.scale,
                    loaded.class_names, **out, table=pd.concat(rows, ignore_index=True),
                    ranked={"entropy": U.most_uncertain(s.entropy, GALLERY),
                            "mutual_info": U.most_uncertain(s.mutual_info, GALLERY),
                            "wrong": U.confidently_wrong(det, y, GALLERY)},
                    **_calibration({"deterministic": det, "MC dropout": s.mean}, y))


def _image_rows(name: str, det: torch.Tensor, s: U.Summary, y: torch.Tensor) -> pd.DataFrame:
    det_conf, det_pred = det.max(-1)
    mc_conf, mc_pred = s.mean.max(-1)
    cols = {"index": torch.arange(len(y)), "label": y, "det_pred": det_pred, "det_conf": det_conf,
            "det_entropy": U.entropy(det), "mc_pred": mc_pred, "mc_conf": mc_conf,
            "mc_std": s.std.gather(1, mc_pred[:, None])[:, 0], "entropy": s.entropy,
            "aleatoric": s.expected_entropy, "mutual_info": s.mutual_info}
    return pd.DataFrame({"source": name, **{k: v.cpu().numpy() for k, v in cols.items()}})


def _calibration(probs: dict[str, torch.Tensor], y: torch.Tensor) -> dict:
    rows, ece, acc = [], {}, {}
    for estimate, p in probs.items():
        conf, pred = p.max(-1)
        correct = pred == y
        table = pd.DataFrame(U.reliability(conf, correct, BINS))
        rows.append(table.assign(estimate=estimate, share=table["count"] / max(1, len(y))))
        ece[estimate] = U.calibration_error(p, y, BINS)
        acc[estimate] = float(correct.float().mean())
    return {"reliability": pd.concat(rows, ignore_index=True), "ece": ece, "accuracy": acc}


# --- what the MC view draws ----------------------------------------------------------------------

def gallery(an: Analysis, which: str) -> list[tuple[str, int]]:
    """(source, index) of the images shown: "entropy", "mutual_info" and "wrong" rank the test
    images; a source name shows that source's first images."""
    if which in an.ranked:
        return [(TEST, i) for i in an.ranked[which]]
    return [(which, i) for i in range(min(GALLERY, len(an.raw[which])))]


def pictures(an: Analysis, items: list[tuple[str, int]], height: int = 80) -> list[np.ndarray]:
    return [U.pictures(torch.from_numpy(an.raw[s][i:i + 1]), an.image_shape, an.scale, height)[0] for s, i in items]


def caption(an: Analysis, source: str, index: int) -> str:
    """E.g. '#12: 3 → 5' (true label, then the MC-mean prediction), or '#12 → 5' without a label."""
    label = int(an.labels[source][index])
    pred = an.class_names[int(an.mean[source][index].argmax())]
    return f"#{index}: {an.class_names[label]} → {pred}" if label >= 0 else f"#{index} → {pred}"


def row(an: Analysis, source: str, index: int) -> dict:
    """The table row of one image."""
    t = an.table
    return t[(t["source"] == source) & (t["index"] == index)].iloc[0].to_dict()


def class_frame(an: Analysis, source: str, index: int) -> pd.DataFrame:
    """Per class: MC mean with mean ± std (clipped to [0, 1]) and the deterministic probability."""
    mean, std, det = an.mean[source][index], an.std[source][index], an.det[source][index]
    mc = pd.DataFrame({"class": an.class_names, "estimate": CLASS_ESTIMATES[0], "value": mean,
                       "lo": np.clip(mean - std, 0, 1), "hi": np.clip(mean + std, 0, 1), "std": std})
    plain = pd.DataFrame({"class": an.class_names, "estimate": CLASS_ESTIMATES[1], "value": det})
    return pd.concat([mc, plain], ignore_index=True)


def max_entropy(an: Analysis) -> float:
    """ln C: the entropy of a uniform guess over the classes, in nats."""
    return math.log(len(an.class_names))


def ece_frame(an: Analysis) -> pd.DataFrame:
    """The text written on each reliability diagram."""
    return pd.DataFrame([{"estimate": e, "text": f"ECE {an.ece[e]:.1%} · accuracy {an.accuracy[e]:.1%}"}
                         for e in ESTIMATES])


MEASURES = {"det_entropy": "entropy, deterministic", "entropy": "predictive entropy, MC",
            "mutual_info": "mutual information, MC"}


def ood_frame(an: Analysis) -> pd.DataFrame:
    """Long form for the out-of-distribution chart: source, measure, value (nats)."""
    long = an.table.melt(id_vars=["source"], value_vars=list(MEASURES), var_name="measure")
    return long.assign(measure=long["measure"].map(MEASURES))


def ood_table(an: Analysis) -> pd.DataFrame:
    """Per source: images, mean entropies and mutual information, and the mean confidence (top probability)."""
    g = an.table.groupby("source", sort=False)
    return g.agg(images=("index", "size"), **{label: (key, "mean") for key, label in MEASURES.items()},
                 **{"confidence, deterministic": ("det_conf", "mean"),
                    "confidence, MC mean": ("mc_conf", "mean")}).reset_index()
