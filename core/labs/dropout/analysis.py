"""MC dropout on the trained networks: T stochastic passes over the test images and
out-of-distribution inputs, galleries, per-image figures and calibration. Runs as a quick job."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
import torch

from core import data, device
from core.jobs import Artifact
from core.labs.base import Stop, never
from core.labs.dropout import mc as U
from core.labs.dropout.config import NOISE, SHUFFLED, TEST, Config, image_sets
from core.models import MLP, MLPSpec, build_mlp, dropout_layers

MAX_TEST = 1000  # test images analysed (all of digits' 360)
OOD_IMAGES = 100  # images per out-of-distribution source
BINS = 10  # confidence bins of the reliability diagrams and the ECE
GALLERY = 24  # images per gallery
ESTIMATES = ("deterministic", "MC dropout")
CLASS_ESTIMATES = ("MC-dropout mean ± 1 std", "deterministic (dropout off)")  # the per-image chart's legend


def rebuild(rec: dict, dev: torch.device) -> MLP:
    model = build_mlp(rec["in_dim"], rec["n_classes"], MLPSpec(**rec["spec"]), device=dev)
    model.load_state_dict(rec["state"])
    return model.eval()


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


def run_analysis(config: Config, run: str, weights: dict, passes: int, stop: Stop = never, *,
                 seed: int = 0) -> Iterator[dict | Artifact]:
    """T = `passes` stochastic passes of the trained network `weights` (of run `run`) over every
    source, one source at a time (a record each); the Analysis is the artifact "analysis"."""
    dev = device.pick(config.device)
    loaded = data.load(config.dataset, seed=config.seed, device=dev)
    model = rebuild(weights, dev)
    out: dict[str, dict] = {k: {} for k in ("raw", "labels", "det", "mean", "std")}
    rows, test = [], None
    inputs = sources(loaded, seed=seed)
    for i, (name, (raw, labels)) in enumerate(inputs.items()):
        if stop():
            yield {"kind": "mc", "status": "cancelled", "progress": i / len(inputs), "message": "stopped"}
            return
        x = loaded.features(raw)
        det, s = U.predict(model, x), U.summarize(U.mc_probs(model, x, passes, seed=seed))
        y = labels if labels is not None else torch.full((len(raw),), -1, device=raw.device)
        if name == TEST:
            test = (det, s, y)
        for key, value in (("raw", raw), ("labels", y), ("det", det), ("mean", s.mean), ("std", s.std)):
            out[key][name] = value.cpu().numpy()
        rows.append(_image_rows(name, det, s, y))
        yield {"kind": "mc", "source": name, "images": len(raw), "progress": (i + 1) / len(inputs),
               "status": "running"}
    det, s, y = test
    yield Artifact("analysis", Analysis(
        run, passes, bool(dropout_layers(model)), loaded.image_shape, loaded.scale, loaded.class_names, **out,
        table=pd.concat(rows, ignore_index=True),
        ranked={"entropy": U.most_uncertain(s.entropy, GALLERY),
                "mutual_info": U.most_uncertain(s.mutual_info, GALLERY),
                "wrong": U.confidently_wrong(det, y, GALLERY)},
        **_calibration({"deterministic": det, "MC dropout": s.mean}, y)))
    yield {"kind": "mc", "status": "done", "progress": 1.0, "message": f"{passes} passes over {len(inputs)} inputs"}


def analyse(config: Config, run: str, weights: dict, passes: int, *, seed: int = 0) -> Analysis:
    """The Analysis, computed here and now (for scripts and tests)."""
    for item in run_analysis(config, run, weights, passes, seed=seed):
        if isinstance(item, Artifact):
            return item.value
    raise RuntimeError("the analysis ended without a result")


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


IMAGE_COLUMNS = {  # the per-image table's columns, as its CSV names them (entropies in nats)
    "det_conf": "confidence, deterministic", "det_entropy": "entropy, deterministic (nats)",
    "mc_conf": "confidence, MC mean", "mc_std": "std of the MC prediction's probability",
    "entropy": "predictive entropy, MC (nats)", "aleatoric": "expected entropy, MC (nats, aleatoric)",
    "mutual_info": "mutual information, MC (nats, epistemic)"}


def image_table(an: Analysis) -> pd.DataFrame:
    """One row per image of every source: its true class (blank off the test split), both
    predictions by class name with their confidence, and the MC measures, for T = an.passes."""
    t, names = an.table, np.asarray(an.class_names, dtype=object)
    out = pd.DataFrame({"source": t["source"], "index": t["index"],
                        "true class": np.where(t["label"] >= 0, names[t["label"].clip(lower=0)], None),
                        "prediction, deterministic": names[t["det_pred"]], "prediction, MC mean": names[t["mc_pred"]]})
    for key, column in IMAGE_COLUMNS.items():
        out[column] = t[key].to_numpy()
    return out.assign(passes=an.passes)
