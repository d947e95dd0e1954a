"""The Learning-rate-schedules lab's presets: the chapter's comparison."""
from core.labs.base import Preset, presets
from core.labs.schedules.config import CHAPTER

PRESETS = presets(
    Preset("The chapter's comparison",
           "SGD at 0.05 on a 3×100 ReLU net for 10 epochs under constant, exponential (γ = 0.9), "
           "ReduceLROnPlateau, warm-up + plateau and 1cycle: the rate of each drawn above the loss it gives.",
           {"schedules": CHAPTER, "settings": (), "optimizer": "sgd", "lr": 0.05, "depth": 3, "width": 100,
            "activation": "relu", "init": "he_normal", "batch_size": 32, "epochs": 10}),
)
