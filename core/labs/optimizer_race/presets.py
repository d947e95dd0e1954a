"""The Optimizer-race lab's presets: the chapter's experiment and its counterpoints. The figures
in the descriptions are from digits, seed 0."""
from core import data
from core.labs.base import Preset, presets
from core.labs.optimizer_race.config import CLASSIC

# The chapter's network and training: a 3×100 ReLU He MLP, batch 32, 10 epochs, AdamW's decoupled
# weight decay at the chapter's 1e-5 (PyTorch's default is 0.01).
NET = {"depth": 3, "width": 100, "activation": "relu", "init": "he_normal", "norm": "none", "batch_size": 32,
       "epochs": 10, "settings": ("adamw:weight_decay=1e-05",)}


def chapter_dataset() -> dict[str, str]:
    """The chapter's Fashion-MNIST when this machine has it, else the bundled digits (no download
    in front of a room)."""
    return {"dataset": "fashion-mnist" if data.is_cached("fashion-mnist") else "digits"}


CHAPTER = Preset(
    "The chapter's experiment: nine optimizers at 0.05",
    "One rate for all: SGD, momentum and AdaGrad learn, while Adam, NAdam, AdamW and RMSProp, which move every "
    "weight by about the rate at each step, fall behind or fail. Fashion-MNIST when cached, else digits.",
    {**NET, "optimizers": CLASSIC, "lr_mode": "same", "lr": 0.05}, choose=chapter_dataset)

PRESETS = presets(
    CHAPTER,
    Preset("The same nine, each at its usual rate",
           "Adam and its kin back at 0.001–0.002: all nine reach 96–98% on digits, so the rate, not the method, "
           "was the trouble.",
           {**NET, "optimizers": CLASSIC, "lr_mode": "usual"}, choose=chapter_dataset),
    Preset("Newer optimizers against Adam",
           "RAdam, Lion, Adan, LAMB and AdaBelief from pytorch-optimizer, each at its usual rate: on digits Adan, "
           "AdaBelief and LAMB keep up with Adam, RAdam and Lion trail by a few points after 10 epochs.",
           {**NET, "optimizers": ("adam", "radam", "lion", "adan", "lamb", "adabelief"), "lr_mode": "usual",
            "settings": ()}, choose=chapter_dataset),
)
