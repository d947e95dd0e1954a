"""The Dropout lab's config: one network per dropout rate on a small train subset, and how the
MC view is drawn."""
from __future__ import annotations

from dataclasses import dataclass

from core import data
from core.config import param, tweak, validate
from core.labs.fields import Fit, Loop, Shape, Shared, image_sets
from core.models import MLPSpec

KINDS = {"dropout": ("relu", "he_normal"), "alpha_dropout": ("selu", "lecun_normal")}  # kind -> activation, init
KIND_LABELS = {"dropout": "Dropout, with ReLU + He", "alpha_dropout": "Alpha dropout, with SELU + LeCun"}
MAX_RATES, MAX_RATE = 6, 0.9
RATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SIZES = (50, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10_000, 60_000)
PASSES = (1, 2, 5, 10, 20, 50, 100, 200, 300, 500)  # T, up to mc.MAX_PASSES
TEST, NOISE, SHUFFLED = "test images", "uniform noise", "shuffled pixels"
RANKINGS = {"entropy": "Most uncertain (entropy)", "mutual_info": "Most uncertain (mutual information)",
            "wrong": "Confidently wrong"}


def rate_label(rate: float) -> str:
    return "0 (no dropout)" if rate == 0 else f"{rate:g}"


def run_label(kind: str, rate: float) -> str:
    return "no dropout" if rate == 0 else f"{kind.replace('_', ' ')} {rate:g}"


def galleries() -> list[str]:
    """The MC view's galleries: three rankings of the test images, then each input source."""
    others = [data.DATASETS.get(n).label for n in image_sets() if data.is_cached(n)]
    return [*RANKINGS, TEST, NOISE, SHUFFLED, *others]


@dataclass(frozen=True)
class Config(Fit, Shape, Shared):
    rates: tuple = param((0.0, 0.2, 0.5), f"dropout rates compared, one network each, 0..{MAX_RATE} (0 = none)",
                         label="Dropout rates p (one network each)", lo=1, hi=MAX_RATES, item_type=float,
                         grid=RATES, fmt=rate_label)
    kind: str = param("dropout", "dropout (with ReLU + He) or alpha_dropout (with SELU + LeCun)", label="Kind",
                      choices=tuple(KINDS), widget="radio", fmt=KIND_LABELS.get)
    train_size: int = param(200, "train examples used, a subset so that the net can over-fit; validation and "
                                 "test splits stay whole", label="Train examples (a subset)", lo=50, hi=60_000,
                            grid=SIZES)
    dataset: str = tweak(Shared, "dataset", choices=image_sets, help="image dataset")
    depth: int = tweak(Shape, "depth", 3, hi=6)
    width: int = tweak(Shape, "width", 256, lo=16)
    lr: float = tweak(Fit, "lr", lo=1e-5, hi=1.0)
    epochs: int = tweak(Loop, "epochs", 60, help="passes over the train subset")
    batch_size: int = tweak(Loop, "batch_size", hi=1024)

    def __post_init__(self) -> None:
        validate(self)
        for r in self.rates:
            if not 0 <= r <= MAX_RATE:
                raise ValueError(f"rates must be 0..{MAX_RATE}, got {r:g}")

    def spec(self, rate: float) -> MLPSpec:
        activation, initializer = KINDS[self.kind]
        return MLPSpec(self.depth, self.width, activation, init=initializer,
                       dropout=self.kind if rate > 0 else "none", dropout_p=rate)

    def labels(self) -> list[str]:
        return [run_label(self.kind, r) for r in self.rates]


@dataclass(frozen=True)
class View:
    """The MC view: which trained network, how many passes, which gallery."""

    inspect: float = param(0.5, "dropout rate of the network the MC view inspects (the highest trained when "
                                "that one is absent)", label="Trained network", lo=0.0, hi=MAX_RATE, grid=RATES,
                           widget="selectbox")
    passes: int = param(100, "T, stochastic passes averaged by MC dropout", label="T, stochastic passes", lo=1,
                        hi=500, grid=PASSES)
    gallery: str = param("entropy", "which images the gallery shows", label="Gallery", choices=galleries,
                         widget="radio", fmt=lambda g: RANKINGS.get(g, g.capitalize()))

    def __post_init__(self) -> None:
        validate(self)
