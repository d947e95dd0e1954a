"""Network builders: an MLP with depth, width, activation, initializer, normalization and dropout.

Dropout here draws its masks from a generator the training job owns (`use_generator`), never
from torch's process-wide one, so a run repeats exactly whatever other jobs run beside it.
`F.dropout` and `F.alpha_dropout` take no generator, hence `dropout` below.
"""
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
    dropout_last: int = 0  # dropout after the last this many hidden layers only; 0 = after every one
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
        if not 0 <= self.dropout_last <= self.depth:
            raise ValueError(f"dropout_last must be 0..depth ({self.depth}), got {self.dropout_last}")

    def drops_after(self, layer: int) -> bool:
        """Whether hidden layer `layer` (0-based) is followed by dropout."""
        on = self.dropout != "none" and self.dropout_p > 0
        return on and (self.dropout_last == 0 or layer >= self.depth - self.dropout_last)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def dropout(x: torch.Tensor, p: float, generator: torch.Generator, *, alpha: bool = False) -> torch.Tensor:
    """Training-mode dropout of x with masks drawn from `generator` (on x's device).

    Standard: zero each element with probability p, scale survivors by 1/(1-p) (the mean is kept).
    Alpha (Klambauer et al. 2017, as nn.AlphaDropout): set dropped elements to SELU's negative
    saturation -λα, then a·x + b with a, b chosen so that zero mean and unit variance are kept.
    """
    if p <= 0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= p  # (…) bool
    if not alpha:
        return x * keep / (1 - p)
    sat = -SELU_ALPHA * SELU_SCALE
    a = ((1 - p) * (1 + p * sat ** 2)) ** -0.5
    b = -a * sat * p
    return a * torch.where(keep, x, torch.full_like(x, sat)) + b


class Dropout(nn.Module):
    """Dropout (or alpha dropout) whose masks come from a generator set by `use_generator`;
    until then, from one of its own seeded at construction (never torch's global one)."""

    def __init__(self, p: float, *, alpha: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.p, self.alpha, self.seed = p, alpha, seed
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        if self.generator is None or self.generator.device.type != x.device.type:
            self.generator = torch.Generator(device=x.device).manual_seed(self.seed)
        return dropout(x, self.p, self.generator, alpha=self.alpha)

    def extra_repr(self) -> str:
        return f"p={self.p}, alpha={self.alpha}"


def use_generator(model: nn.Module, generator: torch.Generator) -> None:
    """Every dropout layer of `model` draws its masks from `generator` from now on."""
    for m in model.modules():
        if isinstance(m, Dropout):
            m.generator = generator


def dropout_layers(model: nn.Module) -> list[Dropout]:
    return [m for m in model.modules() if isinstance(m, Dropout)]


def job_generator(seed: int, device: torch.device | str) -> torch.Generator:
    """A generator of the job's own on `device`, for dropout masks and probes."""
    return torch.Generator(device=torch.device(device)).manual_seed(seed)


class Block(nn.Module):
    """One hidden layer: body = Linear -> [norm] -> act -> [BN], then dropout. With batch norm
    right after it, the Linear has no bias: BN subtracts the batch mean, so a bias there would
    get no gradient and only waste parameters (BN's own shift takes its place)."""

    def __init__(self, fan_in: int, spec: MLPSpec, index: int = 0) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, spec.width, bias=spec.bias and spec.norm != "batchnorm_before")
        body: list[nn.Module] = [self.linear]
        if spec.norm == "batchnorm_before":
            body.append(nn.BatchNorm1d(spec.width))
        elif spec.norm == "layernorm":
            body.append(nn.LayerNorm(spec.width))
        body.append(activations.make(spec.activation, **spec.act_params))
        if spec.norm == "batchnorm_after":
            body.append(nn.BatchNorm1d(spec.width))
        self.body = nn.Sequential(*body)
        if spec.drops_after(index):
            self.drop: nn.Module = Dropout(spec.dropout_p, alpha=spec.dropout == "alpha_dropout", seed=index)
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
        self.blocks = nn.ModuleList(Block(fan_in, spec, i) for i, fan_in in enumerate(dims[:-1]))
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


def linears(model: nn.Module) -> list[nn.Linear]:
    """The model's Linear layers in forward order (MLP exposes them; else module order)."""
    return list(getattr(model, "linears", None) or [m for m in model.modules() if isinstance(m, nn.Linear)])


def build_mlp(in_dim: int, out_dim: int, spec: MLPSpec, *, seed: int = 0,
              device: torch.device | str = "cpu") -> MLP:
    """Build and initialize an MLP reproducibly from `seed`, drawing nothing from torch's global
    generator: the layers are made on the meta device (nn.Linear's own initialization would draw
    from it), then given memory and initialized from a generator of their own."""
    with torch.device("meta"):
        model = MLP(in_dim, out_dim, spec)
    model = model.to_empty(device="cpu")
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)):
            m.reset_parameters()  # ones and zeros (and fresh running statistics): no randomness
    g = torch.Generator().manual_seed(seed)
    slope = float(spec.act_params.get("alpha", activations.get(spec.activation).params.get("alpha", 0.01)))
    for layer in model.linears:
        init.apply(spec.init, layer, activation=spec.activation, slope=slope, mode=spec.init_mode, generator=g)
    model = model.to(device)
    use_generator(model, job_generator(seed, device))
    return model


def spec_dict(spec: MLPSpec) -> dict:
    return asdict(spec)
