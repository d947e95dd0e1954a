"""The learning-rate sweep's presets: the chapter's race made fair. The figures in the
descriptions are from digits, seed 0."""
from core.labs.base import Preset, presets
from core.labs.optimizer_race.config import CLASSIC
from core.labs.optimizer_race.presets import chapter_dataset

NET = {"depth": 3, "width": 100, "activation": "relu", "init": "he_normal", "batch_size": 32}

PRESETS = presets(
    Preset("The chapter's nine, each across 1e-5 to 1",
           "DESCRIBE_CHAPTER",
           {**NET, "optimizers": CLASSIC, "lr_lo": 1e-5, "lr_hi": 1.0, "points": 11, "seeds": 2, "epochs": 5},
           choose=chapter_dataset),
    Preset("SGD against Adam, five seeds",
           "DESCRIBE_PAIR",
           {**NET, "optimizers": ("sgd", "adam"), "lr_lo": 1e-5, "lr_hi": 1.0, "points": 16, "seeds": 5, "epochs": 5}),
    Preset("Newer optimizers against Adam",
           "DESCRIBE_NEW",
           {**NET, "optimizers": ("adam", "radam", "lion", "adan", "lamb", "adabelief"), "lr_lo": 1e-5, "lr_hi": 1.0,
            "points": 11, "seeds": 2, "epochs": 5}),
)
