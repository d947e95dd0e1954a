"""The Deep-net lab's presets: the chapter's exercise step by step, and regularization seen on
2-D decision boundaries."""
from core import data
from core.labs.base import Preset, presets


def _cifar_if_cached() -> dict:
    return {"dataset": "cifar10" if data.is_cached("cifar10") else "digits"}


CHAPTER = ("plain", "bn", "selu", "alpha", "onecycle")

PRESETS = presets(
    Preset("The chapter's sequence",
           "Plain Swish + He, + batch norm, SELU + LeCun, + alpha dropout, + 1cycle: a 20×100 net under NAdam, "
           "each step its own run (CIFAR-10 when it is cached, else digits).",
           {"runs": CHAPTER, "depth": 20, "width": 100, "optimizer": "nadam", "lr": 2e-3, "epochs": 20,
            "batch_size": 32, "patience": 0}, choose=_cifar_if_cached),
    Preset("Over-fitted and regularized boundaries",
           "300 noisy spiral points, 100 epochs: the plain net's boundary bends around single points and its "
           "validation loss ends at 0.37 (91.7% at seed 0); L2 weight decay 0.01 ends at 0.19 (96.7%), an L2 "
           "penalty of 0.001 at 0.26 (95%), with smoother boundaries.",
           {"dataset": "spirals", "size": 300, "noise": 1.0, "depth": 6, "width": 100, "optimizer": "adam",
            "lr": 3e-3, "epochs": 100, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/wd=0.01", "relu/he_normal/l2=0.001")}),
    Preset("L1 makes weights sparse",
           "The same 6×100 net on digits without and with an L1 penalty: the share of weights with |w| < 0.01 goes "
           "from 5% to 9% (1e-4) and 39% (1e-3), at the same validation accuracy (98-99%).",
           {"dataset": "digits", "depth": 6, "width": 100, "optimizer": "sgd", "lr": 0.1, "epochs": 20, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/l1=0.0001", "relu/he_normal/l1=0.001")}),
    Preset("Max-norm and L2 hold the weights down",
           "Weight norm without a constraint (35 over the whole net after 20 epochs on digits), with L2 weight decay "
           "0.01 (19), and with max-norm 1 (25: every unit's incoming weights held to norm 1).",
           {"dataset": "digits", "depth": 6, "width": 100, "optimizer": "sgd", "lr": 0.1, "epochs": 20, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/wd=0.01", "relu/he_normal/maxnorm=1.0")}),
    Preset("Batch norm before or after the activation",
           "Swish + He at depth 20 with batch norm before the activation (the Linear's bias dropped) and after it.",
           {"depth": 20, "width": 100, "optimizer": "nadam", "lr": 2e-3, "epochs": 20, "batch_size": 32,
            "patience": 0, "runs": ("swish/he_normal/norm=batchnorm_before", "swish/he_normal/norm=batchnorm_after",
                                    "swish/he_normal/norm=layernorm")}),
    Preset("Early stopping restores the best epoch",
           "300 noisy spiral points: the validation loss bottoms out, then climbs while the net memorizes noise; "
           "patience 10 stops it (epoch 52 at seed 0) and restores the best weights (epoch 42).",
           {"dataset": "spirals", "size": 300, "noise": 0.5, "depth": 6, "width": 100, "optimizer": "adam",
            "lr": 3e-3, "epochs": 100, "batch_size": 32, "patience": 10, "runs": ("relu/he_normal",)}),
)
