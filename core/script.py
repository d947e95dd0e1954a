"""A standalone PyTorch script that reproduces a lab's training runs: "Get the code".

A lab describes its runs as `Plan`s (the network, its initialization seed and the `TrainSpec`
that `core.train.train` runs) and its data as a `DataPlan`; its own `run` trains from the same
plans, so the script and the app cannot drift apart. `render` writes a plain, readable file that
needs only torch (and numpy, plus scikit-learn, torchvision or pytorch-optimizer where the data
or the optimizer comes from them), with every setting spelled out, and that prints the same
per-epoch figures: the same split, weights, batch order, dropout masks and probes, so on the CPU
with the app's thread count the validation loss agrees with the app's to float rounding.

Each piece of the script (activation, initializer, optimizer, schedule, dataset) is written by a
small function below, and only the pieces the runs use are written.
"""
from __future__ import annotations

import math
import re
import shlex
import textwrap
from dataclasses import dataclass
from typing import Any, Sequence

from core import activations, data, device, init, optim, schedules
from core.models import MLPSpec
from core.train import TrainSpec

INDENT = "    "
# for labs that train their runs stacked on the race engine (core/race.py)
def stacked_note(which: str = "these runs") -> str:
    """The script's note for runs the app trains stacked on the race engine (core/race.py)."""
    return textwrap.fill(
        f"The dashboard trains {which} stacked, all in one vectorized pass; trained one at a time, as here, each "
        "run's validation loss agrees with the dashboard's to about 1e-3 relative (float rounding in batched matrix "
        "products), the tolerance the project's stacked-against-alone test holds; a run whose loss jumps from epoch "
        "to epoch can drift further.", 96, break_on_hyphens=False)


@dataclass(frozen=True)
class Plan:
    """One training run: `train(build_mlp(..., spec, seed=init_seed), data, train)`."""

    label: str  # the run's label in the app (legend, CSV)
    mlp: MLPSpec
    train: TrainSpec
    init_seed: int  # the weights' seed (the batch order and dropout masks come from train.seed)
    classes: tuple[int, ...] = ()  # train on these classes only, relabelled 0.. in this order (a task)
    sample: tuple[int, int] | None = None  # (n, seed): only n train examples, drawn by seed
    reuse: tuple[str, int] | None = None  # (run label, k): the first k hidden layers copied from that run, trained
    test: bool = False  # measure the test split at the end



def stacked_plans(spec: MLPSpec, entrants: list, seeds: Sequence[int], *, epochs: int, batch_size: int) -> list[Plan]:
    """Every race entrant (core.race.Entrant) × seed trained alone: what the race engine trains
    stacked, from build_mlp(seed)'s weights, every model on one batch order (seed 0)."""
    return [Plan(f"{e.name} (seed {seed})", spec,
                 TrainSpec(epochs=epochs, batch_size=batch_size, optimizer=e.optimizer, lr=e.lr, layer_stats=False,
                           seed=0, optimizer_settings=e.hyper, schedule=e.schedule,
                           schedule_settings=e.schedule_settings), seed)
            for e in entrants for seed in seeds]

@dataclass(frozen=True)
class DataPlan:
    """The data a lab's runs train on, as `core.data.load` makes it."""

    dataset: str
    seed: int  # the split's seed
    size: int | None = None  # examples before splitting; None: the dataset's default
    noise: float = 0.1  # synthetic 2-D sets only
    train_size: int | None = None  # only the first this many train examples (the dropout lab's subset)
    device: str = "auto"  # the lab's device setting


@dataclass(frozen=True)
class Script:
    title: str  # what the runs are, for the docstring
    command: str  # the app's own headless command for the same runs
    data: DataPlan
    runs: tuple[Plan, ...]
    note: str = ""  # how close the figures come (e.g. for runs the app trains stacked)


def render(script: Script) -> str:
    """The whole script as text."""
    w = _Writer(script)
    return w.text()


# --- the pieces ------------------------------------------------------------------------

def _lit(value: Any) -> str:
    """A Python literal for `value` (floats written to round-trip)."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_lit(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def _wrap(line: str, indent: str, width: int = 110) -> str:
    """`line` broken after commas inside brackets so that no piece passes `width` characters;
    the continuation lines are indented one level more than `indent`."""
    pieces, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth > 0 and line[i + 1:i + 2] == " ":
            pieces.append(line[start:i + 1])
            start = i + 2
    pieces.append(line[start:])
    out, current = [], indent
    for piece in pieces:
        if current.strip() and len(current) + 1 + len(piece) > width:
            out.append(current)
            current = indent + INDENT + piece
        else:
            current = current + (" " if current.strip() else "") + piece
    return "\n".join(out + [current])


def _kwargs(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_lit(v)}" for k, v in kw.items())


ACTIVATION_CODE = {
    "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU({alpha!r})",
    "elu": "nn.ELU({alpha!r})", "selu": "nn.SELU()", "gelu": "nn.GELU()", "swish": "Swish({beta!r})",
    "mish": "nn.Mish()", "softplus": "nn.Softplus()", "relu2": "ReLUSquared()", "linear": "nn.Identity()",
}
ACTIVATION_CLASSES = {
    "swish": '''class Swish(nn.Module):
    """x * sigmoid(beta * x); beta = 1 is SiLU."""

    def __init__(self, beta):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)
''',
    "relu2": '''class ReLUSquared(nn.Module):
    """relu(x)^2."""

    def forward(self, x):
        return torch.relu(x).square()
''',
}


def activation_code(spec: MLPSpec) -> str:
    params = {**activations.get(spec.activation).params, **spec.act_params}
    return ACTIVATION_CODE[spec.activation].format(**params)


INIT_FUNCTIONS = {
    "default": '''def pytorch_default(layer, g):
    """nn.Linear's own initialization, drawn from g."""
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)
    if layer.bias is not None:
        bound = 1.0 / math.sqrt(layer.in_features)
        nn.init.uniform_(layer.bias, -bound, bound, generator=g)
''',
    "normal": '''def normal(layer, g, std):
    nn.init.normal_(layer.weight, 0.0, std, generator=g)
    zero_bias(layer)
''',
    "glorot_uniform": '''def glorot_uniform(layer, g):
    nn.init.xavier_uniform_(layer.weight, generator=g)
    zero_bias(layer)
''',
    "glorot_normal": '''def glorot_normal(layer, g):
    nn.init.xavier_normal_(layer.weight, generator=g)
    zero_bias(layer)
''',
    "he_uniform": '''def he_uniform(layer, g, nonlinearity, a, mode):
    nn.init.kaiming_uniform_(layer.weight, a=a, mode=mode, nonlinearity=nonlinearity, generator=g)
    zero_bias(layer)
''',
    "he_normal": '''def he_normal(layer, g, nonlinearity, a, mode):
    nn.init.kaiming_normal_(layer.weight, a=a, mode=mode, nonlinearity=nonlinearity, generator=g)
    zero_bias(layer)
''',
    "lecun_normal": '''def lecun_normal(layer, g):
    nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features), generator=g)
    zero_bias(layer)
''',
}
ZERO_BIAS = '''def zero_bias(layer):
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
'''


def init_code(spec: MLPSpec) -> tuple[str, str]:
    """(the per-layer call as a lambda, the helper function it needs)."""
    name = spec.init
    if name == "default":
        return "lambda layer, g: pytorch_default(layer, g)", "default"
    if name in ("naive", "small"):
        return f"lambda layer, g: normal(layer, g, std={1.0 if name == 'naive' else 0.01!r})", "normal"
    if name in ("he_uniform", "he_normal"):
        slope = float(spec.act_params.get("alpha", activations.get(spec.activation).params.get("alpha", 0.01)))
        nonlinearity, a = ("leaky_relu", slope) if spec.activation == "leaky_relu" else ("relu", 0.0)
        return (f"lambda layer, g: {name}(layer, g, nonlinearity={nonlinearity!r}, a={a!r}, "
                f"mode={spec.init_mode!r})"), name
    init.get(name)
    return f"lambda layer, g: {name}(layer, g)", name


def optimizer_code(tspec: TrainSpec) -> tuple[str, float, str | None]:
    """(a lambda building the optimizer on param groups, the weight decay, the class to import
    from pytorch-optimizer or None), with exactly the arguments `core.optim.build` passes."""
    spec = optim.get(tspec.optimizer)
    settings = dict(tspec.optimizer_settings)
    decay = settings.pop("weight_decay", tspec.weight_decay)
    decay = spec.weight_decay if decay is None else decay
    kwargs = {"lr": tspec.lr, **spec.hyper, **spec.editable, **settings, "weight_decay": decay}
    if spec.needs_hessian:
        cls, extra = "GenSophiaH", "SophiaH"
        kwargs["generator"] = None  # set to the run's generator below
    elif spec.source == optim.EXTRA:
        cls, extra = spec.cls.__name__, spec.cls.__name__
    else:
        cls, extra = f"torch.optim.{spec.cls.__name__}", None
    # weight decay is set per parameter group (run["weight_decay"]), as core.train sets it
    args = _kwargs({k: v for k, v in kwargs.items() if k not in ("generator", "weight_decay")})
    if spec.needs_hessian:
        return f"lambda groups, gen: {cls}(groups, generator=gen, foreach=True, {args})", decay, extra
    if spec.fused:
        return f"lambda groups, gen: fused_or_foreach({cls}, groups, {args})", decay, extra
    return f"lambda groups, gen: {cls}(groups, foreach=True, {args})", decay, extra


def schedule_code(tspec: TrainSpec) -> tuple[str, set[str]]:
    """(a lambda building the run's Schedule from the optimizer and the steps per epoch, the
    helpers it needs). Durations in epochs become ticks as core.schedules.Ticks counts them."""
    own = dict(tspec.schedule_settings)
    p, interval = schedules.resolve(tspec.schedule, {k: v for k, v in own.items() if k != "interval"},
                                    own.get("interval"))
    name = tspec.schedule
    if name == "constant":
        return "lambda opt, steps: None", set()
    per = "steps" if interval == schedules.BATCH else "1"
    total = f"max(1, {tspec.epochs} * {per})"
    of = lambda e: f"ticks({_lit(float(e))}, {per})"  # noqa: E731
    base = 'opt.param_groups[0]["lr"]'
    needs = {"schedule"}
    make = {
        "step": lambda: f"lr_scheduler.StepLR(opt, {of(p['step_size'])}, {_lit(p['gamma'])})",
        "multistep": lambda: (f"lr_scheduler.MultiStepLR(opt, [{', '.join(of(m) for m in sorted(float(m) for m in p['milestones']))}], "
                              f"{_lit(p['gamma'])})"),
        "exponential": lambda: f"lr_scheduler.ExponentialLR(opt, {_lit(p['gamma'])} ** (1 / {per}))",
        "polynomial": lambda: f"lr_scheduler.PolynomialLR(opt, total_iters={total}, power={_lit(p['power'])})",
        "cosine": lambda: f"lr_scheduler.CosineAnnealingLR(opt, T_max={total}, eta_min={_lit(p['min_factor'])} * {base})",
        "cosine_restarts": lambda: (f"lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0={of(p['T_0'])}, "
                                    f"T_mult={int(p['T_mult'])}, eta_min={_lit(p['min_factor'])} * {base})"),
        "warmup_cosine": lambda: (f"warmup_cosine(opt, {of(p['warmup'])}, {total}, {_lit(p['start_factor'])}, "
                                  f"{_lit(p['min_factor'])})"),
        "onecycle": lambda: (f"lr_scheduler.OneCycleLR(opt, max_lr=[g['lr'] for g in opt.param_groups], "
                             f"total_steps=max(2, {total}), pct_start={_lit(p['pct_start'])}, "
                             f"div_factor={_lit(p['div_factor'])}, final_div_factor={_lit(p['final_div_factor'])}, "
                             f"cycle_momentum={'has_momentum(opt)' if p['cycle_momentum'] else False})"),
        "noam": lambda: f"lr_scheduler.LambdaLR(opt, lambda t: noam({_lit(float(p['d_model']))}, {of(p['warmup'])}, t))",
        "plateau": lambda: f"lr_scheduler.ReduceLROnPlateau(opt, {_kwargs(_plateau(p))})",
    }
    helpers = {"warmup_cosine": "warmup_cosine", "onecycle": "has_momentum", "noam": "noam"}
    needs |= {helpers[name]} if name in helpers else set()
    needs |= {"ticks"} if name in ("step", "multistep", "cosine_restarts", "warmup_cosine", "noam",
                                   "warmup_plateau") else set()
    if name == "warmup_plateau":
        needs.add("warmup_plateau")
        return (f"lambda opt, steps: WarmupThenPlateau(opt, {of(p['warmup'])}, {_lit(p['start_factor'])}, "
                f"dict({_kwargs(_plateau(p))}))"), needs
    metric = schedules.get(name).needs_metric
    return f"lambda opt, steps: Schedule({make[name]()}, {interval!r}, needs_metric={metric})", needs


def _plateau(p: dict[str, Any]) -> dict[str, Any]:
    return {"factor": p["factor"], "patience": int(p["patience"]), "threshold": p["threshold"],
            "cooldown": int(p["cooldown"]), "min_lr": p["min_lr"]}


SCHEDULE_HELPERS = {
    "schedule": '''class Schedule:
    """A torch scheduler stepped after every optimizer step ("batch") or after every epoch
    ("epoch", with the validation loss for the schedulers that read it)."""

    def __init__(self, scheduler, interval, needs_metric=False):
        self.scheduler, self.interval, self.needs_metric = scheduler, interval, needs_metric

    def after_batch(self):
        if self.interval == "batch":
            self.scheduler.step()

    def after_epoch(self, val_loss):
        if self.interval != "epoch":
            return
        if not self.needs_metric:
            self.scheduler.step()
        elif math.isfinite(val_loss):
            self.scheduler.step(val_loss)
''',
    "ticks": '''def ticks(epochs, per_epoch):
    """A duration in epochs as a whole number of scheduler ticks, at least 1."""
    return max(1, round(epochs * per_epoch))
''',
    "warmup_cosine": '''def warmup_cosine(opt, warm, total, start_factor, min_factor):
    """A linear warm-up over `warm` ticks, then half a cosine down to min_factor × the rate."""
    warm = min(warm, total - 1) if total > 1 else 1
    base = opt.param_groups[0]["lr"]
    parts = [lr_scheduler.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warm),
             lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, total - warm), eta_min=min_factor * base)]
    return lr_scheduler.SequentialLR(opt, parts, milestones=[warm])
''',
    "has_momentum": '''def has_momentum(opt):
    """1cycle cycles momentum (or Adam's beta1) only when the optimizer has one."""
    return "betas" in opt.defaults or opt.defaults.get("momentum", 0) > 0
''',
    "noam": '''def noam(d_model, warmup, t):
    """The Transformer paper's rate factor at tick t (counted from 1)."""
    step = t + 1
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)
''',
    "warmup_plateau": '''class WarmupThenPlateau:
    """A linear warm-up stepped per batch, then ReduceLROnPlateau on the validation loss at the
    ends of the epochs after it."""

    def __init__(self, opt, warm, start_factor, plateau):
        self.warm = lr_scheduler.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warm)
        self.plateau = lr_scheduler.ReduceLROnPlateau(opt, **plateau)
        self.warm_ticks, self.ticks = warm, 0

    def after_batch(self):
        if self.ticks < self.warm_ticks:
            self.warm.step()
        self.ticks += 1

    def after_epoch(self, val_loss):
        if self.ticks >= self.warm_ticks and math.isfinite(val_loss):
            self.plateau.step(val_loss)
''',
}


# --- data ---------------------------------------------------------------------------------

SPLIT = '''def split_indices(n, rng, fractions=(0.6, 0.2)):
    """Train, validation and test indices: 60/20/20 of a permutation."""
    perm = rng.permutation(n)
    a = int(round(n * fractions[0]))
    b = a + int(round(n * fractions[1]))
    return perm[:a], perm[a:b], perm[b:]
'''
SYNTHETIC = {
    "moons": "x, y = skd.make_moons(n, noise=noise, random_state=seed)",
    "circles": "x, y = skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)",
    "blobs": "x, y = skd.make_blobs(n, centers=3, cluster_std=1.0 + 2 * noise, random_state=seed)",
    "xor": '''x = rng.uniform(-1, 1, size=(n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    x = x + rng.normal(0, noise, size=x.shape)''',
    "spirals": '''y = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * math.pi  # angle, dense near the centre
    r = t / (3 * math.pi)
    x = np.stack([r * np.cos(t + math.pi * y), r * np.sin(t + math.pi * y)], 1)
    x = x + rng.normal(0, noise * 0.1, size=x.shape)''',
}
TORCHVISION = {"fashion-mnist": ("FashionMNIST", 1, 28), "mnist": ("MNIST", 1, 28), "cifar10": ("CIFAR10", 3, 32)}


def data_code(plan: DataPlan) -> tuple[str, list[str]]:
    """(the load_data function and what it needs, the packages it needs)."""
    spec = data.spec(plan.dataset)  # an uploaded set: while the server holds it
    if spec.kind == "upload":
        return upload_code(plan, data.HELD.get(plan.dataset)), ["numpy", "pandas"]
    size = spec.default_size if plan.size is None else plan.size
    classes = 3 if plan.dataset == "blobs" else 2 if spec.kind == "synthetic" else 10
    head = f"DATASET, DATA_SEED, SIZE, N_CLASSES = {plan.dataset!r}, {plan.seed}, {size}, {classes}\n"
    if spec.kind == "synthetic":
        noise = round(plan.noise, 6)
        body = SYNTHETIC[plan.dataset]
        sk = "    from sklearn import datasets as skd\n\n" if plan.dataset in ("moons", "circles", "blobs") else ""
        code = f'''{head}NOISE = {noise!r}


def load_data():
    """{spec.label}: SIZE points with NOISE, split 60/20/20 by DATA_SEED (inputs as they are)."""
{sk}    rng = np.random.default_rng(DATA_SEED)
    n, noise = SIZE, NOISE
    seed = int(rng.integers(2**31))  # scikit-learn's sets take a seed drawn from the split's generator
    {body}
    x, y = x.astype(np.float32), np.asarray(y, dtype=np.int64)
    train, valid, test = split_indices(len(x), rng)
    return (x[train], y[train]), (x[valid], y[valid]), (x[test], y[test]), 1.0, "feature", 1
'''
        return code, ["numpy"] + (["scikit-learn"] if sk else [])
    if plan.dataset == "digits":
        return f'''{head}

def load_data():
    """Digits 8×8 from scikit-learn (pixel values 0..16): SIZE of them, split 60/20/20 by DATA_SEED."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(DATA_SEED)
    d = load_digits()
    x, y = d.data.astype(np.uint8), d.target.astype(np.int64)
    keep = rng.permutation(len(x))[:min(SIZE, len(x))]
    x, y = x[keep], y[keep]
    train, valid, test = split_indices(len(x), rng)
    return (x[train], y[train]), (x[valid], y[valid]), (x[test], y[test]), 1 / 16, "feature", 1
''', ["numpy", "scikit-learn"]
    cls, channels, side = TORCHVISION[plan.dataset]
    transpose = "\n    x = x.transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)" if channels == 3 else ""
    return f'''{head}ROOT = "data"  # where torchvision downloads the set


def load_data():
    """{spec.label} from torchvision: SIZE examples of its train split, one in 12 held out for
    validation (chosen by DATA_SEED), and its test split; pixels standardized per channel."""
    from torchvision.datasets import {cls}

    def arrays(train):
        ds = {cls}(ROOT, train=train, download=True)
        x = np.asarray(ds.data, dtype=np.uint8){transpose.replace(chr(10) + "    ", chr(10) + "        ")}
        return x.reshape(len(x), -1), np.asarray(ds.targets, dtype=np.int64)

    (x, y), test = arrays(True), arrays(False)
    rng = np.random.default_rng(DATA_SEED)
    keep = rng.permutation(len(x))[:min(SIZE, len(x))]
    n_valid = max(1, len(keep) // 12)
    train, valid = keep[n_valid:], keep[:n_valid]
    return (x[train], y[train]), (x[valid], y[valid]), test, 1 / 255, "channel", {channels}
''', ["numpy", "torchvision"]


def upload_code(plan: DataPlan, table: data.Table) -> str:
    """load_data for a CSV the person uploaded: the file read again as core/upload.py read it."""
    size = len(table.x) if plan.size is None else plan.size
    return f'''CSV_FILE = {table.label!r}  # your file, in the folder of this script
LABEL, FEATURES = {table.column!r}, {table.features!r}
DATASET, DATA_SEED, SIZE, N_CLASSES = {plan.dataset!r}, {plan.seed}, {size}, {len(table.class_names)}


def load_data():
    """Your CSV: the numeric columns FEATURES as inputs, LABEL's values as classes (in sorted
    order), rows with a missing or non-finite value dropped; SIZE rows split 60/20/20 by DATA_SEED."""
    import os

    import pandas as pd

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), CSV_FILE), "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    sep = next((d for d in (",", ";", "\\t") if d in text.split("\\n", 1)[0]), ",")
    frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, low_memory=False)
    frame.columns = [str(c) for c in frame.columns]
    x = frame[list(FEATURES)].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(x) | (np.abs(x) > np.finfo(np.float32).max)
    rows = ~(bad.any(1) | frame[LABEL].isna().to_numpy())
    codes, classes = pd.factorize(frame[LABEL][rows], sort=True)
    x, y = x[rows].astype(np.float32), codes.astype(np.int64)
    rng = np.random.default_rng(DATA_SEED)
    keep = rng.permutation(len(x))[:min(SIZE, len(x))]
    x, y = x[keep], y[keep]
    train, valid, test = split_indices(len(x), rng)
    return (x[train], y[train]), (x[valid], y[valid]), (x[test], y[test]), 1.0, "feature", 1
'''


TASK = '''
    def task(self, classes=None, sample=None):
        """A task cut from the set: only `classes`, relabelled 0.. in their order; with `sample`
        (n, seed), n of its train examples drawn by seed. The standardization stays the set's."""
        task = copy.copy(self)
        if classes:
            task.n_classes = len(classes)
            for split in ("train", "valid", "test"):
                x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
                relabelled = torch.zeros_like(y)
                for i, c in enumerate(classes):
                    relabelled[y == c] = i
                mask = torch.isin(y, torch.tensor(classes, device=y.device))
                setattr(task, f"{split}_x", x[mask])
                setattr(task, f"{split}_y", relabelled[mask])
        if sample:
            n, seed = sample
            pick = torch.randperm(len(task.train_x), generator=torch.Generator().manual_seed(seed))[:n]
            pick = pick.to(task.train_x.device)
            task.train_x, task.train_y = task.train_x[pick], task.train_y[pick]
        return task
'''
DATA_TAIL = '''def standardizer(x_train, scale, per, channels):
    """Mean and std of the scaled train inputs, per feature or per channel; zero std -> 1."""
    xs = x_train.astype(np.float64) * scale
    if per == "feature":
        mean, std = xs.mean(0), xs.std(0)
    else:
        by_channel = xs.reshape(len(xs), channels, -1)
        mean = np.repeat(by_channel.mean((0, 2)), by_channel.shape[2])
        std = np.repeat(by_channel.std((0, 2)), by_channel.shape[2])
    std = np.where(std < 1e-8, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


class Data:
    """The splits on the device, raw; `features` scales and standardizes a batch with the train
    split's statistics."""

    def __init__(self, device):
        (xt, yt), (xv, yv), (xs, ys), self.scale, per, channels = load_data()
        mean, std = standardizer(xt, self.scale, per, channels){subset}
        tensor = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)  # noqa: E731
        self.train_x, self.train_y, self.valid_x, self.valid_y = tensor(xt), tensor(yt), tensor(xv), tensor(yv)
        self.test_x, self.test_y = tensor(xs), tensor(ys)
        self.mean, self.std = tensor(mean), tensor(std)
        self.n_classes = N_CLASSES

    def features(self, x):
        return (x.float() * self.scale - self.mean) / self.std
{task}'''


# --- the network and the loop ------------------------------------------------------------

DROPOUT = '''class Dropout(nn.Module):
    """Dropout (or alpha dropout) whose masks come from the run's own generator, as the
    dashboard draws them (F.dropout takes no generator)."""

    def __init__(self, p, alpha, generator):
        super().__init__()
        self.p, self.alpha, self.generator = p, alpha, generator

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype) >= self.p
        if not self.alpha:
            return x * keep / (1 - self.p)  # survivors scaled so that the mean is kept
        sat = -1.6732632423543772 * 1.0507009873554805  # SELU's negative saturation, -lambda * alpha
        a = ((1 - self.p) * (1 + self.p * sat ** 2)) ** -0.5  # a, b keep zero mean and unit variance
        b = -a * sat * self.p
        return a * torch.where(keep, x, torch.full_like(x, sat)) + b
'''
MLP = '''class MLP(nn.Module):
    """`depth` hidden layers, each Linear -> [norm] -> activation -> [batch norm] -> [dropout],
    then a Linear head."""

    def __init__(self, in_dim, out_dim, run, generator):
        super().__init__()
        blocks, fan_in, norm, width, drop = [], in_dim, run["norm"], run["width"], run["dropout"]
        for i in range(run["depth"]):
            # batch norm right after the Linear subtracts the batch mean: a bias there would get no gradient
            body = [nn.Linear(fan_in, width, bias=norm != "batchnorm_before")]
            if norm == "batchnorm_before":
                body.append(nn.BatchNorm1d(width))
            elif norm == "layernorm":
                body.append(nn.LayerNorm(width))
            body.append(run["activation"]())
            if norm == "batchnorm_after":
                body.append(nn.BatchNorm1d(width))
            if drop and i >= run["depth"] - (drop["last"] or run["depth"]):
                body.append(Dropout(drop["p"], drop["alpha"], generator))
            blocks.append(nn.Sequential(*body))
            fan_in = width
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(fan_in, out_dim)
        self.linears = [block[0] for block in self.blocks] + [self.head]  # in forward order

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def build(run, data, device, generator):
    """The network with every Linear initialized from a generator seeded with the run's
    init_seed, in forward order (PyTorch's own initialization is overwritten)."""
    model = MLP(data.train_x.shape[1], data.n_classes, run, generator)
    g = torch.Generator().manual_seed(run["init_seed"])
    with torch.no_grad():
        for layer in model.linears:
            run["init"](layer, g)
    return model.to(device)
'''
SOPHIA = '''class GenSophiaH(SophiaH):
    """Sophia-H whose Hutchinson probes come from the run's own generator, as the dashboard's do."""

    def __init__(self, params, *args, generator=None, **kwargs):
        super().__init__(params, *args, **kwargs)
        self.generator = generator

    @torch.no_grad()
    def compute_hutchinson_hessian(self, param_groups, state, num_samples=1, alpha=1.0, distribution="gaussian"):
        params = [p for group in param_groups for p in group["params"]
                  if p.requires_grad and p.grad is not None and not p.grad.is_sparse]
        if not params:
            return
        grads = [p.grad for p in params]
        for i in range(num_samples):
            zs = [torch.randn(p.shape, generator=self.generator, device=p.device, dtype=p.dtype) for p in params]
            h_zs = torch.autograd.grad(grads, params, grad_outputs=zs, retain_graph=i < num_samples - 1)
            for h_z, z, p in zip(h_zs, zs, params):
                state[p]["hessian"].addcmul_(h_z, z, value=alpha / num_samples)


def hessian_due(opt):
    """Sophia estimates the Hessian at steps 1, 1 + update_period, ...: the backward before
    those keeps the gradients' graph."""
    return opt.param_groups[0].get("step", 0) % getattr(opt, "update_period", 1) == 0
'''
FUSED = '''def fused_or_foreach(cls, groups, **kwargs):
    """torch's fused kernel where it has one for this device, else the foreach one."""
    try:
        return cls(groups, fused=True, **kwargs)
    except (RuntimeError, ValueError):
        return cls(groups, foreach=True, **kwargs)
'''
LOOP = '''@torch.no_grad()
def evaluate(model, data, x, y, batch=4096):
    """Mean cross-entropy and accuracy in eval mode (no dropout; batch norm's running statistics)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for i in range(0, len(x), batch):
        logits = model(data.features(x[i:i + batch]))
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum")
        correct += (logits.argmax(1) == y[i:i + batch]).sum()
    model.train(was_training)
    loss, acc = torch.stack([loss_sum, correct.float()]).div(max(1, len(x))).tolist()
    return loss, acc


def penalty(weights, l1, l2):
    """l1 * sum|w| + l2 * sum w^2 over the Linear weights (not biases or norm parameters)."""
    total = weights[0].new_zeros(())
    for w in weights:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + l2 * w.pow(2).sum()
    return total


def param_groups(params, weights, run, **extra):
    """One group, or (weight decay on the weights only) the weights decayed and the rest not;
    `extra`: more group options (a learning rate)."""
    if not run["decay_weights_only"]:
        return [{"params": params, "weight_decay": run["weight_decay"], **extra}]
    ids = {id(w) for w in weights}
    groups = [{"params": [p for p in params if id(p) in ids], "weight_decay": run["weight_decay"], **extra},
              {"params": [p for p in params if id(p) not in ids], "weight_decay": 0.0, **extra}]
    return [g for g in groups if g["params"]]


def report(run, epoch, train_loss, train_acc, val_loss, val_acc, opt):
    print(f"[{run['label']}] epoch {epoch:3d}  train_loss {train_loss:.6f}  train_acc {train_acc:.4f}  "
          f"val_loss {val_loss:.8f}  val_acc {val_acc:.4f}  lr {opt.param_groups[0]['lr']:.6g}", flush=True)


def train(run, data, device, trained):
    """Train one run, printing its figures per epoch; returns the trained model."""
    data = data.task(run.get("classes"), run.get("sample")) if run.get("classes") or run.get("sample") else data
    generator = torch.Generator(device=device).manual_seed(run["seed"])  # dropout masks{probes}
    model = build(run, data, device, generator)
    if run.get("reuse"):  # the first k hidden layers: copies of another run's, trained
        source, k = run["reuse"]
        for i in range(k):
            model.blocks[i].load_state_dict(trained[source].blocks[i].state_dict())
    model.train()
    weights = [layer.weight for layer in model.linears]
    # frozen layers are left out of the optimizer (weight decay would move them, momentum carry them on)
    frozen = [p for name, p in model.named_parameters() if name.startswith(run.get("freeze", ()))]
    for p in frozen:
        p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = run["optimizer"](param_groups(params, weights, run), generator)
    n, size = len(data.train_x), run["batch_size"]
    steps = math.ceil(n / size)
    schedule = run["schedule"](opt, steps)
    order = torch.Generator().manual_seed(run["seed"])  # the batch order, on the CPU for every device

    # epoch 0, at initialization: the first batch's loss in train mode (the dashboard's look, which
    # draws dropout masks), batch norm's running statistics left as they were
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    with torch.no_grad():
        logits = model(data.features(data.train_x[:size]))
    y0 = data.train_y[:size]
    first = [F.cross_entropy(logits, y0).item(), (logits.argmax(1) == y0).float().mean().item()]
    model.load_state_dict(buffers, strict=False)
    val_loss, val_acc = evaluate(model, data, data.valid_x, data.valid_y)
    report(run, 0, *first, val_loss, val_acc, opt)
    if not (math.isfinite(first[0]) and math.isfinite(val_loss)):
        print(f"[{run['label']}] diverged at initialization: the loss overflowed")
        return model
    best_loss, best_state, best_epoch, bad = math.inf, None, 0, 0
    for epoch in range(1, run["epochs"] + 1):
        if frozen and epoch > run["freeze_epochs"]:  # unfrozen: in groups of their own, at unfreeze_lr
            for p in frozen:
                p.requires_grad_(True)
            for group in param_groups(frozen, weights, run, lr=run["unfreeze_lr"]):
                opt.add_param_group(group)
            params, frozen = params + frozen, []
        perm = torch.randperm(n, generator=order).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for b in range(steps):
            idx = perm[b * size:(b + 1) * size]
            xb, yb = data.features(data.train_x[idx]), data.train_y[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            objective = loss + penalty(weights, run["l1"], run["l2"]) if run["l1"] or run["l2"] else loss
            opt.zero_grad(set_to_none=True)
            graph = run["hessian"] and hessian_due(opt)
            if graph:  # gradients that keep their graph, for the Hessian estimate
                for p, g in zip(params, torch.autograd.grad(objective, params, create_graph=True, allow_unused=True)):
                    p.grad = g
            else:
                objective.backward()
            if run["clip"] > 0:
                nn.utils.clip_grad_norm_(params, run["clip"], foreach=True)
            opt.step()
            if run["max_norm"] > 0:  # every unit's incoming weights back to norm <= max_norm
                with torch.no_grad():
                    for w in weights:
                        w.copy_(torch.renorm(w, 2, 0, run["max_norm"]))
            if graph:
                for p in params:
                    if p.grad is not None:
                        p.grad = p.grad.detach()
            if schedule is not None:
                schedule.after_batch()
            loss_sum += loss.detach() * len(yb)
            correct += (logits.argmax(1) == yb).sum()
        train_loss, train_acc = torch.stack([loss_sum, correct.float()]).div(n).tolist()
        val_loss, val_acc = evaluate(model, data, data.valid_x, data.valid_y)
        report(run, epoch, train_loss, train_acc, val_loss, val_acc, opt)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            print(f"[{run['label']}] diverged at epoch {epoch}")
            return model
        if schedule is not None:
            schedule.after_epoch(val_loss)
        if run["patience"]:  # early stopping: keep the weights of the best validation loss
            if val_loss < best_loss - 1e-6:
                best_loss, best_state, best_epoch, bad = val_loss, copy.deepcopy(model.state_dict()), epoch, 0
            else:
                bad += 1
            if bad >= run["patience"]:
                model.load_state_dict(best_state)
                val_loss, val_acc = evaluate(model, data, data.valid_x, data.valid_y)
                print(f"[{run['label']}] stopped early at epoch {epoch}; restored the weights of epoch "
                      f"{best_epoch}: val_loss {val_loss:.8f}  val_acc {val_acc:.4f}")
                return model
    print(f"[{run['label']}] finished {run['epochs']} epochs")
    if run.get("test"):
        test_loss, test_acc = evaluate(model, data, data.test_x, data.test_y)
        print(f"[{run['label']}] test_loss {test_loss:.8f}  test_acc {test_acc:.4f}")
    return model


def pick(name):
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=DEVICE, help="auto (cuda, then mps, then cpu), cuda, mps or cpu")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="CPU threads (the dashboard's own count gives its numbers to float rounding)")
    parser.add_argument("--run", action="append", metavar="LABEL", help="train only this run (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = pick(args.device)
    wanted = set(args.run or [run["label"] for run in RUNS])
    wanted |= {run["reuse"][0] for run in RUNS if run["label"] in wanted and run.get("reuse")}  # what they build on
    data, trained = Data(device), {}
    for run in RUNS:
        if run["label"] in wanted:
            trained[run["label"]] = train(run, data, device, trained)


if __name__ == "__main__":
    main()
'''


# --- assembling the file --------------------------------------------------------------------

def run_code(plan: Plan) -> tuple[str, set[str], str | None]:
    """One entry of RUNS, the helpers it needs and the pytorch-optimizer class it imports."""
    m, t = plan.mlp, plan.train
    if not m.bias:
        raise ValueError("the script does not write bias-free networks")
    act = activation_code(m)
    init_call, init_helper = init_code(m)
    opt, decay, extra = optimizer_code(t)
    sched, needs = schedule_code(t)
    needs |= {init_helper, f"act:{m.activation}"}
    if m.dropout != "none" and m.dropout_p > 0:
        drop = f"dict(p={m.dropout_p!r}, alpha={m.dropout == 'alpha_dropout'}, last={m.dropout_last})"
        needs.add("dropout")
    else:
        drop = "None"
    needs |= {"fused"} if optim.get(t.optimizer).fused else set()
    needs |= {"sophia"} if optim.get(t.optimizer).needs_hessian else set()
    lines = [
        f"label={plan.label!r}, init_seed={plan.init_seed}, seed={t.seed},",
        f"depth={m.depth}, width={m.width}, activation=lambda: {act},",
        f"norm={m.norm!r}, dropout={drop},",
        f"init={init_call},",
        f"epochs={t.epochs}, batch_size={t.batch_size}, patience={t.patience},",
        f"optimizer={opt},",
        f"weight_decay={_lit(float(decay))}, decay_weights_only={t.decay_weights_only}, "
        f"hessian={optim.get(t.optimizer).needs_hessian},",
        f"schedule={sched},",
        f"clip={_lit(float(t.clip_norm))}, l1={_lit(float(t.l1))}, l2={_lit(float(t.l2))}, "
        f"max_norm={_lit(float(t.max_norm))},",
    ]
    task = [f"classes={plan.classes!r}"] if plan.classes else []
    task += [f"sample={plan.sample!r}"] if plan.sample else []
    task += [f"reuse={plan.reuse!r}"] if plan.reuse else []
    task += [f"test={plan.test}"] if plan.test else []
    lines += [", ".join(task) + ","] if task else []
    if t.freeze and t.freeze_epochs:
        lines.append(f"freeze={t.freeze!r}, freeze_epochs={t.freeze_epochs}, unfreeze_lr={_lit(t.unfreeze_lr or t.lr)},")
    body = "\n".join(_wrap(line, INDENT * 2) for line in lines)
    return f"{INDENT}dict(\n{body}\n{INDENT})", needs, extra


class _Writer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.runs, self.needs, self.extra = [], set(), []
        self.tasks = any(p.classes or p.sample for p in script.runs)
        for plan in script.runs:
            code, needs, extra = run_code(plan)
            self.runs.append(code)
            self.needs |= needs
            if extra and extra not in self.extra:
                self.extra.append(extra)

    def packages(self, data_packages: list[str]) -> list[str]:
        out = ["torch", *data_packages]
        return out + (["pytorch-optimizer"] if self.extra else [])

    def header(self, data_packages: list[str]) -> str:
        s = self.script
        note = f"\n{s.note}\n" if s.note else ""
        command = s.command.replace(" --set", " \\\n        --set") if len(s.command) > 90 else s.command
        return f'''"""{s.title}: the dashboard's runs as a plain PyTorch script.

The same data split, initial weights, batch order and dropout masks as the dashboard's
    {command}
so each epoch's figures are the dashboard's: on the CPU with its thread count, the validation
loss to float rounding.
{note}
Needs {", ".join(self.packages(data_packages))}. Run:
    python this_file.py [--device cpu] [--threads N] [--run LABEL]
"""
'''

    def imports(self) -> str:
        io = ["import io"] if data.is_upload(self.script.data.dataset) else []  # the uploaded file is read as text
        lines = ["import argparse", "import copy", *io, "import math", "", "import numpy as np", "import torch",
                 "import torch.nn.functional as F", "from torch import nn"]
        if any(n in self.needs for n in ("schedule", "warmup_plateau")):
            lines.append("from torch.optim import lr_scheduler")
        if self.extra:
            lines.append(f"from pytorch_optimizer import {', '.join(sorted(self.extra))}")
        return "\n".join(lines) + "\n"

    def helpers(self) -> list[str]:
        out = [ACTIVATION_CLASSES[a[4:]] for a in sorted(self.needs) if a.startswith("act:") and a[4:] in ACTIVATION_CLASSES]
        inits = [INIT_FUNCTIONS[n] for n in INIT_FUNCTIONS if n in self.needs]
        if any(n not in ("default",) for n in INIT_FUNCTIONS if n in self.needs):
            inits.insert(0, ZERO_BIAS)
        out += inits
        out += [DROPOUT] if "dropout" in self.needs else []
        out += [MLP]
        out += [FUSED] if "fused" in self.needs else []
        out += [SOPHIA] if "sophia" in self.needs else []
        out += [SCHEDULE_HELPERS[n] for n in SCHEDULE_HELPERS if n in self.needs]
        return out

    def text(self) -> str:
        s = self.script
        data_fn, data_packages = data_code(s.data)
        subset = (f"\n        xt, yt = xt[:{s.data.train_size}], yt[:{s.data.train_size}]  "
                  "# the first train examples only (statistics from all)") if s.data.train_size else ""
        tail = DATA_TAIL.format(subset=subset, task=TASK if self.tasks else "")
        probes = ", Sophia's Hessian probes" if "sophia" in self.needs else ""
        dev = s.data.device if s.data.device in ("cuda", "mps", "cpu") else "auto"
        settings = (f'DEVICE = {dev!r}  # "auto": cuda, then mps, then cpu\n'
                    f"THREADS = {device.default_threads()}  # the dashboard's CPU thread count on the machine that "
                    "wrote this\n")
        runs = "RUNS = [\n" + ",\n".join(self.runs) + ",\n]\n"
        sections = [self.header(data_packages), self.imports(), settings, data_fn, SPLIT, tail, *self.helpers(),
                    LOOP.replace("{probes}", probes), runs]
        text = "\n\n".join(part.strip("\n") + "\n" for part in sections[:-1])
        # RUNS goes before main(), which reads it when called
        loop_at = text.index("@torch.no_grad()\ndef evaluate")
        return text[:loop_at] + runs + "\n\n" + text[loop_at:]


FIGURES = re.compile(r"^\[(.+)\] epoch\s+(\d+) .*val_loss (\S+)")  # a report line a script prints


def read_figures(printed: str) -> dict[str, dict[int, float]]:
    """Run label -> epoch -> validation loss, from what a script printed."""
    out: dict[str, dict[int, float]] = {}
    for line in printed.splitlines():
        if m := FIGURES.match(line):
            out.setdefault(m[1], {})[int(m[2])] = float(m[3])
    return out


def command(lab: str, config: Any) -> str:
    """`python -m core run LAB --set k=v ...` for the settings that differ from the defaults."""
    from core import config as C  # the grammar shared by links, the CLI and job keys

    sets = [f"--set {shlex.quote(f'{k}={v}')}" for k, v in C.changed(config).items()]
    return " ".join(["python -m core run", lab, *sets])


def for_lab(title: str, lab: str, config: Any, runs: list[Plan], *, data_plan: DataPlan | None = None,
            note: str = "") -> str:
    """The script of a lab's config: its runs on its dataset (config.dataset split by
    config.seed on config.device unless `data_plan` says otherwise)."""
    data_plan = data_plan or DataPlan(config.dataset, config.seed, device=config.device)
    return render(Script(title, command(lab, config), data_plan, tuple(runs), note))
