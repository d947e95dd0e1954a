"""Optimizer registry: name -> spec building an optimizer with its usual settings.

Entries come from torch.optim and from the pytorch-optimizer package (Lion, Adan, LAMB,
AdaBelief, Sophia). Every spec lists the optimizer's own settings a page may offer as inputs
(`editable`, with this entry's defaults); `build` passes them to the constructor and accepts
overrides of any constructor argument, checked against its signature.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Iterable

import torch
from pytorch_optimizer import AdaBelief, Adan, Lamb, Lion, SophiaH

from core.registry import Registry

TORCH = "torch.optim"
EXTRA = "pytorch-optimizer"
# constructor arguments `build` sets itself, so never overrides
_SET_BY_BUILD = frozenset({"params", "lr", "weight_decay", "foreach", "fused", "generator"})


@dataclass(frozen=True)
class OptimizerSpec:
    label: str
    cls: type[torch.optim.Optimizer]
    usual_lr: float  # a learning rate this optimizer is commonly run at
    hyper: dict[str, Any] = field(default_factory=dict)  # fixed settings that define the entry
    fused: bool = False  # torch has a fused kernel for it (fewer, larger kernels per step)
    # the optimizer's own settings a page may offer as inputs -> this entry's default; lr and
    # weight_decay are left out: every optimizer takes them, from `build`'s own arguments
    editable: dict[str, Any] = field(default_factory=dict)
    source: str = TORCH  # where the class comes from: TORCH or EXTRA, for grouping
    # estimates the Hessian diagonal from the gradient's graph: the loss must be backpropagated
    # with create_graph=True before every step `hessian_due` names
    needs_hessian: bool = False
    # the update of each weight depends on that weight's own gradient and state only (and on
    # the step count), so stepping a model's parameters as one flat tensor changes nothing;
    # LAMB is not: its trust ratio is a per-tensor norm
    elementwise: bool = True
    weight_decay: float = 0.0  # this entry's default weight decay (AdamW's point is its decoupled decay)


OPTIMIZERS: Registry[OptimizerSpec] = Registry("optimizer")
_add = OPTIMIZERS.add
_ADAM = {"betas": (0.9, 0.999), "eps": 1e-8}
_add("sgd", OptimizerSpec("SGD", torch.optim.SGD, 0.05, fused=True))
_add("momentum", OptimizerSpec("SGD + momentum", torch.optim.SGD, 0.05, {"momentum": 0.9}, fused=True,
                               editable={"momentum": 0.9, "dampening": 0.0}))
_add("nesterov", OptimizerSpec("Nesterov", torch.optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True}, fused=True,
                               editable={"momentum": 0.9}))  # Nesterov needs dampening 0
_add("adagrad", OptimizerSpec("AdaGrad", torch.optim.Adagrad, 0.01, fused=True,
                              editable={"eps": 1e-10, "initial_accumulator_value": 0.0, "lr_decay": 0.0}))
_add("rmsprop", OptimizerSpec("RMSProp", torch.optim.RMSprop, 1e-3, {"alpha": 0.9},
                              editable={"alpha": 0.9, "eps": 1e-8, "momentum": 0.0, "centered": False}))
_add("adam", OptimizerSpec("Adam", torch.optim.Adam, 1e-3, fused=True, editable={**_ADAM, "amsgrad": False}))
_add("adamax", OptimizerSpec("Adamax", torch.optim.Adamax, 2e-3, editable=dict(_ADAM)))
_add("nadam", OptimizerSpec("NAdam", torch.optim.NAdam, 2e-3, editable={**_ADAM, "momentum_decay": 4e-3}))
_add("adamw", OptimizerSpec("AdamW", torch.optim.AdamW, 1e-3, fused=True, editable={**_ADAM, "amsgrad": False},
                            weight_decay=0.01))  # PyTorch's default decoupled decay
_add("radam", OptimizerSpec("RAdam", torch.optim.RAdam, 1e-3, editable=dict(_ADAM)))
# pytorch-optimizer. Their weight decay is decoupled (AdamW-style), except Adan's, as the classes
# default. Rates below are the ones their authors recommend; "digits:" notes what our small MLPs
# (2x64 ReLU, batch 32) measured, final validation loss after 10 epochs (Adam at 1e-3: 0.17).
# Lion: sign updates move every weight by exactly lr; its authors run it 3-10x below AdamW's rate.
# digits: 1e-4 is slow (0.87, 80% accuracy), 3e-4 best (0.12); at 1e-3 the loss climbs after epoch 4.
_add("lion", OptimizerSpec("Lion", Lion, 1e-4, source=EXTRA, editable={"betas": (0.9, 0.99)}))
# Adan: its authors run it at 5-10x Adam's rate (ViT-S 1.5e-2, ResNet-50 3e-2 at batch 2048).
# digits: 5e-3 gives 0.29, 1e-2 learns fastest over 2 epochs; the package's default 1e-3 is slow.
_add("adan", OptimizerSpec("Adan", Adan, 5e-3, source=EXTRA, editable={"betas": (0.98, 0.92, 0.99), "eps": 1e-8}))
# LAMB: Adam's direction scaled per layer so that each layer moves by lr x |w| a step; 1e-3 for
# small batches (the package's default), up to about 1e-2 for the huge batches it was made for.
# digits: 0.22; 1e-2 learns faster over 2 epochs, then overfits (1.28).
_add("lamb", OptimizerSpec("LAMB", Lamb, 1e-3, source=EXTRA, elementwise=False,
                           editable={"betas": (0.9, 0.999), "eps": 1e-6}))
# AdaBelief: Adam's rate and betas, eps 1e-16 as its authors recommend. digits: 0.16.
_add("adabelief", OptimizerSpec("AdaBelief", AdaBelief, 1e-3, source=EXTRA,
                                editable={"betas": (0.9, 0.999), "eps": 1e-16}))
class GenSophiaH(SophiaH):
    """SophiaH whose Hutchinson probes come from a generator of the job's own (`generator`),
    not from torch's process-wide one (its parent draws them with torch.randn_like)."""

    def __init__(self, params: Any, *args: Any, generator: torch.Generator | None = None, **kwargs: Any) -> None:
        super().__init__(params, *args, **kwargs)
        self.generator = generator

    # SophiaH's own arguments and `generator`, so that build() and settable() read them like any other's
    __init__.__signature__ = inspect.Signature([
        *(p for p in inspect.signature(SophiaH.__init__).parameters.values() if p.kind is not p.VAR_KEYWORD),
        inspect.Parameter("generator", inspect.Parameter.KEYWORD_ONLY, default=None)])

    @torch.no_grad()
    def compute_hutchinson_hessian(self, param_groups: list, state: dict, num_samples: int = 1, alpha: float = 1.0,
                                   distribution: str = "gaussian") -> None:
        if distribution != "gaussian":
            raise NotImplementedError(f"probes from a generator of our own are gaussian, not {distribution}")
        params = [p for group in param_groups for p in group["params"]
                  if p.requires_grad and p.grad is not None and not p.grad.is_sparse]
        if not params:
            return
        if self.generator is None or self.generator.device.type != params[0].device.type:
            self.generator = torch.Generator(device=params[0].device).manual_seed(0)
        grads = [p.grad for p in params]
        for i in range(num_samples):
            zs = [torch.randn(p.shape, generator=self.generator, device=p.device, dtype=p.dtype) for p in params]
            h_zs = torch.autograd.grad(grads, params, grad_outputs=zs, retain_graph=i < num_samples - 1)
            for h_z, z, p in zip(h_zs, zs, params):
                state[p]["hessian"].addcmul_(h_z, z, value=alpha / num_samples)


# Sophia with Hutchinson estimates of the Hessian diagonal, every update_period steps. A weight
# moves by at most lr x p a step (6e-4 here): its authors advise about half of AdamW's rate for
# that largest step. The package's default rate. digits: 0.23; 0.1-0.3 learns faster over 2 epochs.
_add("sophia", OptimizerSpec("Sophia-H", GenSophiaH, 6e-2, source=EXTRA, needs_hessian=True,
                             editable={"betas": (0.96, 0.99), "p": 1e-2, "update_period": 10, "eps": 1e-12}))


def get(name: str) -> OptimizerSpec:
    return OPTIMIZERS.get(name)


def names() -> list[str]:
    return OPTIMIZERS.names()


@functools.cache
def _init_params(cls: type) -> tuple[str, ...]:
    """The named arguments of cls's constructor, as its signature declares them."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in inspect.signature(cls.__init__).parameters.values() if p.kind in kinds)


def _constructor_args(cls: type) -> tuple[str, ...]:
    return tuple(n for n in _init_params(cls) if n not in _SET_BY_BUILD | {"self"})


def settable(name: str) -> list[str]:
    """The constructor arguments of optimizer `name` that `build` accepts as overrides."""
    return list(_constructor_args(OPTIMIZERS.get(name).cls))


def build(name: str, params: Iterable[torch.Tensor] | Iterable[dict], *, lr: float | None = None,
          weight_decay: float | None = None, generator: torch.Generator | None = None,
          **overrides: Any) -> torch.optim.Optimizer:
    """Build optimizer `name` on `params`; lr defaults to its usual rate.

    `overrides` replace the entry's settings; a name the constructor does not take raises
    ValueError listing the valid ones (pytorch-optimizer classes would store it silently).
    weight_decay defaults to the entry's own (AdamW: PyTorch's 0.01; the others: 0). Uses torch's
    fused kernel where one exists for the parameters' device, else foreach. `generator` feeds
    the random probes of the optimizers that draw any (Sophia-H).
    """
    spec = OPTIMIZERS.get(name)
    valid = _constructor_args(spec.cls)
    unknown = [k for k in overrides if k not in valid]
    if unknown:
        raise ValueError(f"optimizer {name!r} ({spec.cls.__name__}) takes no setting "
                         f"{', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
    kwargs = {**spec.hyper, **spec.editable, **overrides, "lr": spec.usual_lr if lr is None else lr,
              "weight_decay": spec.weight_decay if weight_decay is None else weight_decay}
    if "generator" in _init_params(spec.cls):  # an optimizer that draws random numbers takes ours
        kwargs["generator"] = generator
    params = list(params)
    if spec.fused:
        try:
            return spec.cls(params, fused=True, **kwargs)
        except (RuntimeError, ValueError):
            pass  # e.g. a device or dtype without the fused kernel
    return spec.cls(params, foreach=True, **kwargs)


def hessian_due(opt: torch.optim.Optimizer) -> bool:
    """Whether `opt`'s next step estimates the Hessian, so the backward before it needs
    create_graph=True. pytorch-optimizer's Hessian optimizers (SophiaH, AdaHessian) do at
    steps 1, 1 + update_period, ... counted in param_groups[0]["step"] (absent before the first)."""
    return opt.param_groups[0].get("step", 0) % getattr(opt, "update_period", 1) == 0
