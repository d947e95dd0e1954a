"""The Transfer-learning lab's config: model A on the big task, then model B on a small binary
task, from scratch and on A's reused layers, over several seeds."""
from __future__ import annotations

from dataclasses import dataclass

from core.config import param, tweak, validate
from core.labs.fields import LRS, Fit, Loop, Net, Shared, image_sets

# Class names of the image sets, for the class pickers (the loaded data's own names go in the records)
NAMES = {
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}
CLASSES = tuple(range(10))  # every image set here has ten classes
SIZES = (10, 20, 50, 100, 150, 200, 300, 500)
MAX_SEEDS = 20
METHODS = ("B from scratch", "B on A")  # the two ways of training model B, in the charts' order
MODEL_A = "model A"


def class_label(dataset: str, index: int) -> str:
    """Class `index` of `dataset` as a picker shows it, e.g. '2: Pullover' (digits and MNIST: '2')."""
    names = NAMES.get(dataset)
    return f"{index}: {names[index]}" if names and 0 <= index < len(names) else str(index)


@dataclass(frozen=True)
class Config(Net, Shared):
    dataset: str = tweak(Shared, "dataset", choices=image_sets, help="image dataset: task A is all its classes but "
                                                                      "two, task B those two")
    classes: tuple = param((0, 2), "the two classes held out of task A that make task B (class indices of the "
                                   "dataset; B's label 0 is the first, 1 the second)", label="Task B: two classes",
                           lo=2, hi=2, item_type=int, grid=CLASSES)
    depth: int = tweak(Net, "depth", 3, hi=8)
    width: int = tweak(Net, "width", 100, hi=512)
    optimizer: str = tweak(Fit, "optimizer", help="optimizer of A and of both B's")
    lr: float = tweak(Fit, "lr", help="learning rate of A, of B from scratch and of B on A's new layers", hi=1.0)
    batch_size: int = tweak(Loop, "batch_size", hi=1024, help="examples per optimizer step, for A and B")
    epochs_a: int = tweak(Loop, "epochs", 10, label="A's epochs", hi=100,
                          help="passes over task A's train split (A is trained once per run, or taken from the "
                               "cache when nothing it depends on changed)")
    epochs_b: int = tweak(Loop, "epochs", 20, label="B's epochs", hi=200,
                          help="passes over B's N examples, for both ways of training B")
    reuse: int = param(3, "hidden layers of A reused by B on A, from the input up (1..depth); the layers above and "
                          "the head are new", label="Layers reused", lo=1, hi=8, widget="slider")
    freeze_epochs: int = param(4, "epochs B on A trains with the reused layers frozen (left out of the optimizer); "
                                  "0: they train from the start, at the learning rate; B's epochs or more: frozen all along",
                               label="Frozen epochs", lo=0, hi=200, widget="slider")
    unfreeze_lr: float = param(0.005, "learning rate of the reused layers once unfrozen (after the frozen epochs)",
                               label="Rate after unfreezing", lo=1e-6, hi=1.0, grid=LRS)
    n_examples: int = param(20, "N, labelled examples of task B each seed draws (capped at what the two "
                                "classes' train split holds: about 210 on digits)", label="N, B's examples",
                            lo=10, hi=500, grid=SIZES)
    seeds: int = param(10, "seeds of model B: each draws its own N examples, new-layer weights and batch order",
                       label="Seeds", lo=1, hi=MAX_SEEDS, widget="slider")

    def __post_init__(self) -> None:
        validate(self)
        if min(self.classes) < 0:
            raise ValueError(f"classes must be class indices (0 or more), got {self.classes}")
        if self.reuse > self.depth:
            raise ValueError(f"reuse must be 1..depth ({self.depth}), got {self.reuse}")

    def b_seeds(self) -> list[int]:
        """The seeds of model B: seed, seed + 1, ..."""
        return [self.seed + i for i in range(self.seeds)]

    def frozen(self) -> tuple[str, ...]:
        """Parameter-name prefixes of the reused layers."""
        return tuple(f"blocks.{i}." for i in range(self.reuse))
