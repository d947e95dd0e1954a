"""The Transfer-learning lab's presets: the chapter's experiment, one seed against many, and
reusing fewer layers. The figures are from digits, seed 0 (see the README)."""
from core import data
from core.labs.base import Preset, presets

# The chapter's model A and B: three hidden layers of 100 ReLU units (He), SGD, batch 32; B on A
# reuses every hidden layer, frozen for 4 epochs of 20, then unfrozen at a tenth of the rate.
NET = {"depth": 3, "width": 100, "activation": "relu", "init": "he_normal", "optimizer": "sgd", "lr": 0.05,
       "batch_size": 32, "epochs_a": 10, "epochs_b": 20, "freeze_epochs": 4, "unfreeze_lr": 0.005,
       "classes": (0, 2)}


def chapter_dataset() -> dict[str, str]:
    """Fashion-MNIST (T-shirt/top against pullover) when this machine has it, else digits (0 against 2)."""
    return {"dataset": "fashion-mnist" if data.is_cached("fashion-mnist") else "digits"}


PRESETS = presets(
    Preset("The chapter's experiment: N = 200, every hidden layer reused",
           "T-shirt/top against pullover with 200 labelled examples on Fashion-MNIST when cached; on digits 0 "
           "against 2 are so easy that both ways of training B reach about 99%.",
           {**NET, "n_examples": 200, "reuse": 3, "seeds": 10}, choose=chapter_dataset),
    Preset("One seed is not enough",
           "N = 10, one seed: on digits seed 0 puts B on A 1.5 points behind scratch. The default 10 seeds put it 4.2 "
           "points ahead on average, with seeds on both sides (6 better, 4 worse); 20 seeds make the gain clear.",
           {**NET, "dataset": "digits", "n_examples": 10, "reuse": 3, "seeds": 1}),
    Preset("Reuse fewer layers",
           "N = 20, reusing A's first two hidden layers: on digits B on A reaches 99.5% over 10 seeds against 96.4% "
           "from scratch, no seed below; all three layers give 97.6%, the first alone 97.0% with one seed at 80%.",
           {**NET, "dataset": "digits", "n_examples": 20, "reuse": 2, "seeds": 10}),
)
