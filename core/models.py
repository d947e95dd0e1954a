"""Network builders: an MLP with depth, width, activation, initializer, normalization and dropout."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from core import activations, init

NORMS = ("none", "batchnorm_before", "batchnorm_after", "layernorm")
DROPOUTS = ("none", "dropout", "alpha_dropout")
MAX_DEPTH = 100
MAX_WIDTH = 1024


@dataclass(frozen=True)
class MLPSpec:
    depth: int = 3  # hidden layers, 1..100
    width: int = 100  # units per hidden layer, 1..1024
    activation: str = "relu"  # core.activations name
    act_params: dict[str, float] = field(default_factory=dict)  # e.g. {"alpha": 0.1}
    init: str = "he_normal"  # core.init name
    init_mode: str = "fan_in"  # He only: "fan_in" or "fan_out"
    norm: str = "none"  # one of NORMS
    dropout: str = "none"  # one of DROPOUTS
    dropout_p: float = 0.0  # drop probability in [0, 1)
    bias: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= MAX_DEPTH:
            raise ValueError(f"depth must be 1..{MAX_DEPTH}, got {self.depth}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"width must be 1..{MAX_WIDTH}, got {self.width}")
        activations.get(self.activation)
        init.get(self.init)
        if self.init_mode not in init.MODES:
            raise ValueError(f"init_mode must be one of {init.MODES}, got {self.init_mode!r}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.dropout not in DROPOUTS:
            raise ValueError(f"dropout must be one of {DROPOUTS}, got {self.dropout!r}")
        if not 0.0 <= self.dropout_p < 1.0:
            raise ValueError(f"dropout_p must be in [0, 1), got {self.dropout_p}")


class Block(nn.Module):
    """One hidden layer: body = Linear -> [norm] -> act -> [BN], then dropout."""

    def __init__(self, fan_in: int, spec: MLPSpec) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, spec.width, bias=spec.bias)
        body: list[nn.Module] = [self.linear]
        if spec.norm == "batchnorm_before":
            body.append(nn.BatchNorm1d(spec.width))
        elif spec.norm == "layernorm":
            body.append(nn.LayerNorm(spec.width))
        body.append(activations.make(spec.activation, **spec.act_params))
        if spec.norm == "batchnorm_after":
            body.append(nn.BatchNorm1d(spec.width))
        self.body = nn.Sequential(*body)
        if spec.dropout == "dropout" and spec.dropout_p > 0:
            self.drop: nn.Module = nn.Dropout(spec.dropout_p)
        elif spec.dropout == "alpha_dropout" and spec.dropout_p > 0:
            self.drop = nn.AlphaDropout(spec.dropout_p)
        else:
            self.drop = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.body(x))


class MLP(nn.Module):
    """`depth` hidden Blocks, then a Linear head.

    `linears` lists every Linear (hidden layers 1..depth, then the head) so training can
    report per-layer gradient and weight norms without hooks.
    """

    def __init__(self, in_dim: int, out_dim: int, spec: MLPSpec) -> None:
        super().__init__()
        self.spec = spec
        dims = [in_dim] + [spec.width] * spec.depth
        self.blocks = nn.ModuleList(Block(fan_in, spec) for fan_in in dims[:-1])
        self.head = nn.Linear(spec.width, out_dim, bias=spec.bias)
        self.linears: list[nn.Linear] = [b.linear for b in self.blocks] + [self.head]

    def forward(self, x: torch.Tensor, capture: list[torch.Tensor] | None = None,
                capture_pre: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x: (B, in_dim) -> logits (B, out_dim). With `capture`, appends each hidden
        layer's activation output (B, width), taken before dropout; with `capture_pre`, each
        hidden layer's pre-activation: the Linear's output (B, width)."""
        for block in self.blocks:
            if capture_pre is None:
                h = block.body(x)
            else:
                z = block.linear(x)
                capture_pre.append(z)
                h = block.body[1:](z)
            if capture is not None:
                capture.append(h)
            x = block.drop(h)
        return self.head(x)


def build_mlp(in_dim: int, out_dim: int, spec: MLPSpec, *, seed: int = 0,
              device: torch.device | str = "cpu") -> MLP:
    """Build and initialize an MLP reproducibly from `seed`."""
    model = MLP(in_dim, out_dim, spec)
    g = torch.Generator().manual_seed(seed)
    slope = float(spec.act_params.get("alpha", activations.get(spec.activation).params.get("alpha", 0.01)))
    for layer in model.linears:
        init.apply(spec.init, layer, activation=spec.activation, slope=slope, mode=spec.init_mode, generator=g)
    return model.to(device)


def spec_dict(spec: MLPSpec) -> dict:
    return asdict(spec)
