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
           "Spirals with few noisy points: the plain net carves islands around single points; L2 decay and "
           "dropout draw a smoother boundary.",
           {"dataset": "spirals", "size": 300, "noise": 0.5, "depth": 6, "width": 100, "optimizer": "adam",
            "lr": 3e-3, "epochs": 60, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/wd=0.01", "relu/he_normal/dropout=0.3")}),
    Preset("L1 makes weights sparse",
           "The same net without and with an L1 penalty: watch the share of near-zero weights grow layer by layer.",
           {"depth": 6, "width": 100, "optimizer": "sgd", "lr": 0.1, "epochs": 20, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/l1=0.0001", "relu/he_normal/l1=0.001")}),
    Preset("Max-norm and L2 hold the weights down",
           "Weight norm per layer without a constraint, with L2 weight decay, and with max-norm 1.",
           {"depth": 6, "width": 100, "optimizer": "sgd", "lr": 0.1, "epochs": 20, "batch_size": 32, "patience": 0,
            "runs": ("relu/he_normal", "relu/he_normal/wd=0.01", "relu/he_normal/maxnorm=1.0")}),
    Preset("Batch norm before or after the activation",
           "Swish + He at depth 20 with batch norm before the activation (the Linear's bias dropped) and after it.",
           {"depth": 20, "width": 100, "optimizer": "nadam", "lr": 2e-3, "epochs": 20, "batch_size": 32,
            "patience": 0, "runs": ("swish/he_normal/norm=batchnorm_before", "swish/he_normal/norm=batchnorm_after",
                                    "swish/he_normal/norm=layernorm")}),
    Preset("Early stopping restores the best epoch",
           "Adam at a high rate over-fits a small net on digits; patience 3 stops it and restores its best weights.",
           {"depth": 3, "width": 256, "optimizer": "adam", "lr": 3e-3, "epochs": 60, "batch_size": 32,
            "patience": 3, "runs": ("relu/he_normal",)}),
)
