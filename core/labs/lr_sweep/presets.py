"""The learning-rate sweep's presets: the chapter's race made fair. The figures in the
descriptions are from digits, seed 0."""
from core.labs.base import Preset, presets
from core.labs.optimizer_race.config import CLASSIC
from core.labs.optimizer_race.presets import chapter_dataset

NET = {"depth": 3, "width": 100, "activation": "relu", "init": "he_normal", "batch_size": 32}

PRESETS = presets(
    Preset("The chapter's nine, each across 1e-5 to 1",
           "Each at its best, all nine reach 97–99% on digits, with best rates two decades apart (Adam, NAdam and "
           "RMSProp 0.003, SGD 0.3); the race's one rate, 0.05, is inside the good region of AdaGrad alone. "
           "Fashion-MNIST when cached, else digits.",
           {**NET, "optimizers": CLASSIC, "lr_lo": 1e-5, "lr_hi": 1.0, "points": 11, "seeds": 2, "epochs": 5},
           choose=chapter_dataset),
    Preset("SGD against Adam, five seeds",
           "Five seeds over 16 rates: Adam peaks at 98.4% at 0.0046, SGD at 97.9% at 0.22, two decades apart, with "
           "good regions of 0.59 and 0.76 decades; at 1.0 SGD diverges.",
           {**NET, "optimizers": ("sgd", "adam"), "lr_lo": 1e-5, "lr_hi": 1.0, "points": 16, "seeds": 5, "epochs": 5}),
    Preset("Newer optimizers against Adam",
           "Adam, Adan and AdaBelief are best at 0.003 (97.9–98.2% on digits); Lion wants a rate three times lower "
           "(0.001), RAdam three times higher (0.01); Adan's and RAdam's good regions are the widest, 1.1 decades.",
           {**NET, "optimizers": ("adam", "radam", "lion", "adan", "lamb", "adabelief"), "lr_lo": 1e-5, "lr_hi": 1.0,
            "points": 11, "seeds": 2, "epochs": 5}),
)
