"""Instant, training-free views of activation functions: curves, saturation, properties,
gradient through depth, gated units.

Every slope comes from autograd (`core.activations.derivative`), never from a hand-written
formula, and every property is measured on a grid, never typed in. All of it runs in float64
and answers in milliseconds, so a page can call it on every slider move.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd
import torch

from core import activations, init
from core.registry import Registry

Params = Mapping[str, Mapping[str, float]]  # activation name -> parameter overrides, e.g. {"alpha": 0.1}
DTYPE = torch.float64
PARAM_SYMBOLS = {"alpha": "α", "beta": "β"}
NEAR = 10.0  # |z| within which a bound counts as reached (tanh(±20) rounds to ±1 in float64)
FAR = 1e4  # the grid's ends
KINK_H = 1e-3  # grid step for the C¹ test; the same test is repeated at KINK_H / 4
ZERO_CENTRED_TOL = 0.05  # |E f(z)| below this share of sd f(z), z ~ N(0, 1), counts as zero-centred


def _params(name: str, params: Params | None) -> dict[str, float]:
    """The overrides in `params` that activation `name` takes (others belong to other activations)."""
    own = activations.get(name).params
    return {k: float(v) for k, v in (params or {}).get(name, {}).items() if k in own}


def label(name: str) -> str:
    return activations.get(name).label


def label_with_params(name: str, params: Params | None = None) -> str:
    """'Leaky ReLU (α = 0.1)': the registry label plus the parameters in use."""
    values = {**activations.get(name).params, **_params(name, params)}
    if not values:
        return label(name)
    return f"{label(name)} ({', '.join(f'{PARAM_SYMBOLS.get(k, k)} = {v:g}' for k, v in values.items())})"


def evaluate(name: str, z: torch.Tensor, params: Params | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """f(z) and f'(z) (autograd) for any shape of z, in float64."""
    return activations.derivative(name, z.to(DTYPE), **_params(name, params))


def curves(names: Sequence[str], params: Params | None, z_range: tuple[float, float], n: int = 401) -> pd.DataFrame:
    """Columns activation, z, f, df: each function and its derivative on n points of z_range."""
    z = torch.linspace(z_range[0], z_range[1], n, dtype=DTYPE)
    parts = []
    for name in names:
        f, df = evaluate(name, z, params)
        parts.append(pd.DataFrame({"activation": label(name), "z": z.numpy(), "f": f.numpy(), "df": df.numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["activation", "z", "f", "df"])


def _crossing(z0: float, z1: float, g0: float, g1: float, threshold: float) -> float:
    """Where |f'| crosses `threshold` between two grid points, by linear interpolation."""
    return z0 if g1 == g0 else z0 + (threshold - g0) * (z1 - z0) / (g1 - g0)


def _regions(z: torch.Tensor, g: torch.Tensor, threshold: float) -> list[tuple[float, float]]:
    zs, gs = z.tolist(), g.tolist()
    below = [v < threshold for v in gs]
    out, start = [], None
    for i, b in enumerate(below):
        if b and start is None:
            start = zs[0] if i == 0 else _crossing(zs[i - 1], zs[i], gs[i - 1], gs[i], threshold)
        if not b and start is not None:
            out.append((start, _crossing(zs[i - 1], zs[i], gs[i - 1], gs[i], threshold)))
            start = None
    if start is not None:
        out.append((start, zs[-1]))
    return out


def saturation_regions(names: Sequence[str], params: Params | None, z_range: tuple[float, float],
                       threshold: float, n: int = 2001) -> pd.DataFrame:
    """Columns activation, z0, z1: the intervals of z_range where |f'(z)| < threshold."""
    z = torch.linspace(z_range[0], z_range[1], n, dtype=DTYPE)
    rows = []
    for name in names:
        g = evaluate(name, z, params)[1].abs()
        rows += [(label(name), a, b) for a, b in _regions(z, g, threshold)]
    return pd.DataFrame(rows, columns=["activation", "z0", "z1"])


def readout(names: Sequence[str], params: Params | None, z: float) -> pd.DataFrame:
    """Columns activation, z, f, df: the values at one z."""
    rows = []
    for name in names:
        f, df = evaluate(name, torch.tensor([z], dtype=DTYPE), params)
        rows.append((label(name), z, f.item(), df.item()))
    return pd.DataFrame(rows, columns=["activation", "z", "f", "df"])


# --- properties, measured -----------------------------------------------------------------

@dataclass(frozen=True)
class Properties:
    lo: float  # lower end of the output range (-inf when unbounded)
    hi: float  # upper end (inf when unbounded)
    lo_reached: bool  # f takes the value lo at some finite z ("[" rather than "(")
    hi_reached: bool
    mean: float  # E f(z) for z ~ N(0, 1)
    zero_centred: bool  # |mean| < ZERO_CENTRED_TOL * sd
    smooth: bool  # C¹: f' has no jump
    jump: float  # largest jump of f' between neighbouring grid points, and where
    jump_z: float
    monotonic: bool  # f' >= 0 everywhere (non-decreasing)
    min_slope: float  # smallest f' and where (negative: not monotonic)
    min_slope_z: float
    max_slope: float  # largest |f'| (inf when it grows without bound)
    max_slope_from: float  # the z where |f'| first reaches it, and the last (a plateau when they differ)
    max_slope_to: float
    init: str  # core.init name that suits it

    def range_text(self) -> str:
        lo = "(−∞" if math.isinf(self.lo) else f"{'[' if self.lo_reached else '('}{self.lo:.4g}"
        hi = "∞)" if math.isinf(self.hi) else f"{self.hi:.4g}{']' if self.hi_reached else ')'}"
        return f"{lo}, {hi}".replace("-", "−")

    def slope_text(self) -> str:
        """'0.25 at z = 0', '1 for z > 0', '→ 1 as z → ∞' or 'unbounded'."""
        m, a, b = self.max_slope, self.max_slope_from, self.max_slope_to
        if math.isinf(m):
            return "unbounded (grows with |z|)"
        if a <= -FAR and b >= FAR:
            return f"{m:.4g} for every z"
        if (a > NEAR and b >= FAR) or (b < -NEAR and a <= -FAR):  # only far out, up to the grid's end
            return f"→ {m:.4g} as z → {'∞' if a > 0 else '−∞'}"
        if b - a < 1.0:
            return f"{m:.4g} at z = {_z((a + b) / 2)}"
        return f"{m:.4g} for z > {_z(a)}" if b > NEAR else f"{m:.4g} for z < {_z(b)}"


def _grid(h: float) -> torch.Tensor:
    # Dense on [-NEAR, NEAR] (where kinks and extrema live), log-spaced out to 10⁴ for the tails.
    near = torch.arange(-round(NEAR / h), round(NEAR / h) + 1, dtype=DTYPE) * h
    far = torch.logspace(math.log10(NEAR), math.log10(FAR), 200, dtype=DTYPE)[1:]
    return torch.cat([-far.flip(0), near, far])


def _limit(f_far: float, f_farther: float, sign: float) -> float:
    """f's limit at sign·∞ from f(±10³) and f(±10⁴): finite when they agree, else ±∞."""
    if abs(f_farther - f_far) < 1e-6 * max(1.0, abs(f_far)):
        return f_farther
    return math.copysign(math.inf, f_farther - f_far)


def _end(values: torch.Tensor, z: torch.Tensor, limits: list[float], lower: bool) -> tuple[float, bool]:
    """One end of the output range: an extreme reached on the grid, or a limit approached."""
    sign = 1.0 if lower else -1.0  # work on the lower end; the upper is the lower of -f
    v = values * sign
    lims = [l * sign for l in limits]
    if -math.inf in lims:
        return -math.inf * sign, False
    limit = min(lims)
    i = int(v.argmin())
    lowest = float(v[i])
    if lowest < limit - 1e-9:
        return lowest * sign, True
    reached = bool((v[z.abs() <= NEAR] <= limit + 1e-12).any())
    return limit * sign, reached


def _jump(h: float, name: str, params: Params | None) -> tuple[float, float]:
    z = torch.arange(-round(NEAR / h), round(NEAR / h) + 1, dtype=DTYPE) * h
    d = evaluate(name, z, params)[1].diff().abs()
    i = int(d.argmax())
    return float(d[i]), float(z[i: i + 2].mean())


def properties(name: str, params: Params | None = None) -> Properties:
    """Output range, zero-centring, C¹ smoothness, monotonicity and slope extremes, measured."""
    z = _grid(KINK_H / 4)
    f, df = evaluate(name, z, params)
    tails = evaluate(name, torch.tensor([-1e3, -1e4, 1e3, 1e4], dtype=DTYPE), params)[0].tolist()
    limits = [_limit(tails[0], tails[1], -1.0), _limit(tails[2], tails[3], 1.0)]
    lo, lo_reached = _end(f, z, limits, lower=True)
    hi, hi_reached = _end(f, z, limits, lower=False)
    # E f and sd f for z ~ N(0, 1), by quadrature on the dense part of the grid
    near = z.abs() <= NEAR
    w = torch.exp(-0.5 * z[near] ** 2) / math.sqrt(2 * math.pi) * (KINK_H / 4)
    mean = float((f[near] * w).sum())
    sd = math.sqrt(max(0.0, float((f[near] ** 2 * w).sum()) - mean**2))
    # A jump of f' stays the same size when the step shrinks; a smooth change shrinks with it.
    coarse, _ = _jump(KINK_H, name, params)
    jump, jump_z = _jump(KINK_H / 4, name, params)
    smooth = jump < 0.5 * coarse or jump < 1e-6
    i_min = int(df.argmin())
    top, top_from, top_to = _largest_slope(name, params, z, df)
    return Properties(
        lo=lo, hi=hi, lo_reached=lo_reached, hi_reached=hi_reached, mean=mean,
        zero_centred=abs(mean) < ZERO_CENTRED_TOL * max(sd, 1e-12), smooth=smooth, jump=jump, jump_z=jump_z,
        monotonic=float(df[i_min]) >= -1e-12, min_slope=float(df[i_min]), min_slope_z=float(z[i_min]),
        max_slope=top, max_slope_from=top_from, max_slope_to=top_to, init=activations.get(name).init,
    )


def _largest_slope(name: str, params: Params | None, z: torch.Tensor, df: torch.Tensor) -> tuple[float, float, float]:
    """The largest |f'| on the grid and the first and last z that reach it; inf when |f'| is
    still growing at |z| = 10⁴ (e.g. ReLU²)."""
    slope = df.abs()
    top = float(slope.max())
    at_top = z[slope >= top - 1e-9]
    far = evaluate(name, torch.tensor([1e3, 1e4, -1e3, -1e4], dtype=DTYPE), params)[1].abs().tolist()
    if far[1] > far[0] * 1.01 + 1e-9 or far[3] > far[2] * 1.01 + 1e-9:
        top = math.inf
    return top, float(at_top.min()), float(at_top.max())


def _num(x: float) -> str:
    return f"{0.0 if abs(x) < 5e-13 else x:.3g}".replace("-", "−")


def _z(z: float) -> str:
    """A grid position to two decimals (the grid step is 2.5·10⁻⁴)."""
    return f"{round(z, 2) + 0.0:g}".replace("-", "−")


def properties_table(names: Sequence[str], params: Params | None = None) -> pd.DataFrame:
    """One row per activation, in words with the measured numbers behind each verdict."""
    rows = []
    for name in names:
        p = properties(name, params)
        rows.append({
            "activation": label_with_params(name, params),
            "output range": p.range_text(),
            "zero-centred": f"{'yes' if p.zero_centred else 'no'} (mean {_num(p.mean)})",
            "smooth (C¹)": "yes" if p.smooth else f"no (f′ jumps by {_num(p.jump)} at z = {_z(p.jump_z)})",
            "monotonic": "yes" if p.monotonic else f"no (f′ = {_num(p.min_slope)} at z = {_z(p.min_slope_z)})",
            "largest |f′|": p.slope_text(),
            "suits init": init.get(p.init).label,
        })
    return pd.DataFrame(rows)


# --- gradient through depth ---------------------------------------------------------------

def depth_products(names: Sequence[str], params: Params | None, sigma: float, *, max_depth: int = 50,
                   samples: int = 4096, seed: int = 0) -> pd.DataFrame:
    """Columns activation, depth, product: the mean over `samples` paths of |∏ f'(z_l)| for
    l = 1..depth, with z_l ~ N(0, sigma²) independent per layer.

    Every activation sees the same draws. A mean that underflows, or whose every sampled path
    hit a zero slope, is exactly 0 (a log axis must leave it out).
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, max_depth, generator=g, dtype=DTYPE) * sigma  # (S, L)
    parts = []
    for name in names:
        slopes = evaluate(name, z, params)[1].abs()
        product = slopes.cumprod(dim=1).mean(dim=0)  # (L,)
        parts.append(pd.DataFrame({"activation": label(name), "depth": range(1, max_depth + 1),
                                   "product": product.numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["activation", "depth", "product"])


def sigmoid_bound(max_depth: int = 50) -> pd.DataFrame:
    """0.25^L: sigmoid's slope never exceeds 1/4, so no path through L sigmoids does better."""
    return pd.DataFrame({"depth": range(1, max_depth + 1), "product": [0.25**l for l in range(1, max_depth + 1)]})


# --- gated units --------------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    label: str
    activation: str  # core.activations name applied to the gate input


GATES: Registry[Gate] = Registry("gate")
GATES.add("glu", Gate("GLU (sigmoid gate)", "sigmoid"))
GATES.add("reglu", Gate("ReGLU (ReLU gate)", "relu"))
GATES.add("geglu", Gate("GEGLU (GELU gate)", "gelu"))
GATES.add("swiglu", Gate("SwiGLU (Swish gate)", "swish"))


def _centred_grid(span: tuple[float, float], n: int) -> tuple[torch.Tensor, float]:
    """n points across span and their step, built outward from the middle so that a symmetric
    span with odd n holds exactly 0 (linspace gives −2·10⁻¹⁶ there)."""
    step = (span[1] - span[0]) / (n - 1)
    return (span[0] + span[1]) / 2 + (torch.arange(n, dtype=DTYPE) - (n - 1) / 2) * step, step


def gated_surface(gate: str, a_range: tuple[float, float] = (-4.0, 4.0),
                  b_range: tuple[float, float] = (-4.0, 4.0), n: int = 41) -> pd.DataFrame:
    """out(a, b) = gate(a) · b on an n×n grid, with each cell's edges (a0, a1, b0, b1).

    a is the gate's pre-activation (x W), b the value path (x V) of one unit of a gated layer.
    """
    spec = GATES.get(gate)
    a, da = _centred_grid(a_range, n)
    b, db = _centred_grid(b_range, n)
    ga = activations.make(spec.activation)(a)  # (n,)
    out = ga[:, None] * b[None, :]  # (n_a, n_b)
    aa, bb = torch.meshgrid(a, b, indexing="ij")
    return pd.DataFrame({"a": aa.flatten().numpy(), "b": bb.flatten().numpy(), "out": out.flatten().numpy(),
                         "a0": (aa - da / 2).flatten().numpy(), "a1": (aa + da / 2).flatten().numpy(),
                         "b0": (bb - db / 2).flatten().numpy(), "b1": (bb + db / 2).flatten().numpy()})
