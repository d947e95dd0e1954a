"""The Transfer-learning lab's run: model A on task A (or from the cache), then model B on task
B's N examples per seed, from scratch (all seeds stacked) and on A's reused layers (one seed
after another), each tested; then the summary over seeds."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Generator, Iterator

import pandas as pd
from torch import nn

from core import data
from core import script as script_
from core.labs.base import Stop, never
from core.labs.common import load, tag_runs
from core.labs.transfer import cache, tables
from core.labs.transfer.config import CLASSES, METHODS, MODEL_A, Config
from core.labs.transfer.scratch import Result, stackable, train_stacked
from core.labs.transfer.tasks import check_classes, sample, task_a, task_b
from core.models import MLP, build_mlp
from core.train import TrainSpec, evaluate, train

SCRATCH, ON_A = METHODS
STACK_COST = 0.3  # a stacked step of K small models costs about this many one-model steps per model


def label(method: str, seed: int) -> str:
    return f"{method} · seed {seed}"


@dataclass(frozen=True)
class Plan:
    """Shares of the job's progress: A, then B from scratch, then B on A."""

    a: float
    scratch: float

    @staticmethod
    def of(config: Config, n_a: int, n_b: int, a_cached: bool, stacked: bool) -> "Plan":
        a = 0.0 if a_cached else config.epochs_a * math.ceil(n_a / config.batch_size)
        b = config.seeds * config.epochs_b * math.ceil(n_b / config.batch_size)
        scratch = b * (STACK_COST if stacked else 1.0)
        total = a + scratch + b
        return Plan(a / total, scratch / total)

    def window(self, phase: str) -> tuple[float, float]:
        return {"A": (0.0, self.a), SCRATCH: (self.a, self.a + self.scratch), ON_A: (self.a + self.scratch, 1.0)}[phase]


def _within(records: Iterator[dict], lo: float, hi: float) -> Iterator[dict]:
    for rec in records:
        yield {**rec, "progress": lo + (hi - lo) * rec["progress"]}


def b_spec(config: Config, seed: int, method: str) -> TrainSpec:
    """Model B's training for `seed`: epoch-end reports only; B on A with its reused layers
    frozen for `freeze_epochs`, then in a group of their own at `unfreeze_lr`."""
    freezing = ({"freeze": config.frozen(), "freeze_epochs": config.freeze_epochs,
                 "unfreeze_lr": config.unfreeze_lr} if method == ON_A else {})
    return TrainSpec(epochs=config.epochs_b, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                     layer_stats=False, report_seconds=0.0, seed=seed, **freezing)


def a_spec(config: Config) -> TrainSpec:
    """Model A's training."""
    return TrainSpec(epochs=config.epochs_a, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                     layer_stats=False, seed=config.seed)


def plans(config: Config) -> list[script_.Plan]:
    """Model A on task A, then model B per seed from scratch and on A, as run() trains them
    (B from scratch stacked where it can) and the script writes them."""
    a = script_.Plan(MODEL_A, config.spec(), a_spec(config), config.seed,
                     classes=tuple(c for c in CLASSES if c not in config.classes))
    return [a, *(script_.Plan(label(method, seed), config.spec(), b_spec(config, seed, method), seed,
                              classes=tuple(config.classes), sample=(config.n_examples, seed), test=True,
                              reuse=(MODEL_A, config.reuse) if method == ON_A else None)
                 for method in (SCRATCH, ON_A) for seed in config.b_seeds())]


def script(config: Config) -> str:
    note = script_.stacked_note("B from scratch, every seed,") if stackable(config.spec(), config.optimizer) else ""
    return script_.for_lab("Transfer learning", "transfer", config, plans(config), note=note)


def model_a(config: Config, task: data.Data, window: tuple[float, float], stop: Stop) -> Generator[dict, None, MLP | None]:
    """Model A, trained here or taken from the cache (its records replayed, marked cached);
    None when its training did not finish."""
    model = build_mlp(task.input_dim, task.n_classes, config.spec(), seed=config.seed, device=task.device)
    key = cache.key(config)
    hit = cache.get(key)
    tags = dict(method=MODEL_A, seed=config.seed, phase="task A")
    if hit is not None:
        model.load_state_dict(hit.state)
        for rec in hit.records:
            done = rec["status"] != "running"
            yield {**rec, "progress": window[0] + (window[1] - window[0]) * rec["progress"], "cached": True,
                   **({"message": "model A from the cache: trained earlier with the same settings for A"}
                      if done else {})}
        return model
    records = []
    for rec in _within(tag_runs(train(model, task, a_spec(config), stop=stop), run=MODEL_A, index=0, n_runs=1, **tags),
                       *window):
        records.append(rec)
        yield {**rec, "cached": False}
    if records[-1]["status"] != "done":
        return None
    cache.put(key, model.state_dict(), records)
    return model


def on_a(config: Config, a: MLP, task: data.Data, seed: int) -> MLP:
    """Model B for `seed` whose first `reuse` hidden layers are copies of A's; the layers above
    and the head are new, drawn from `seed` (as B from scratch's of the same seed)."""
    model = build_mlp(task.input_dim, task.n_classes, config.spec(), seed=seed, device=task.device)
    for i in range(config.reuse):
        model.blocks[i].load_state_dict(a.blocks[i].state_dict())
    return model


def _test(rec: dict, method: str, seed: int, result: tuple[float, float] | None, progress: float) -> dict:
    loss, acc = result if result is not None else (None, None)
    return {"kind": "test", "run": label(method, seed), "method": method, "seed": seed, "test_loss": loss,
            "test_acc": acc, "status": rec.get("status", "done"), "progress": progress}


def one_by_one(config: Config, samples: list[data.Data], method: str, build: Callable[[int, data.Data], nn.Module],
               window: tuple[float, float], stop: Stop) -> Iterator[dict]:
    """Train model B for each seed in turn with train(), then test it."""
    seeds, (lo, hi) = config.b_seeds(), window
    freeze = config.freeze_epochs
    for i, (seed, task) in enumerate(zip(seeds, samples)):
        model = build(seed, task)
        last: dict = {}
        for last in _within(tag_runs(train(model, task, b_spec(config, seed, method), stop=stop),
                                     run=label(method, seed), index=i, n_runs=len(seeds), method=method, seed=seed),
                            lo, hi):
            phase = "frozen" if method == ON_A and freeze and last["epoch"] <= freeze else "all layers"
            yield {**last, "phase": phase, "n_examples": len(task.train)}
        if stop():
            return
        result = evaluate(model, task, task.test) if last.get("status") == "done" else None
        yield _test(last, method, seed, result, lo + (hi - lo) * (i + 1) / len(seeds))


def scratch(config: Config, seed: int, task: data.Data) -> MLP:
    """Model B from scratch for `seed`."""
    return build_mlp(task.input_dim, task.n_classes, config.spec(), seed=seed, device=task.device)


def from_scratch(config: Config, samples: list[data.Data], window: tuple[float, float], stop: Stop, *,
                 stacked: bool | None = None) -> Iterator[dict]:
    """B from scratch for every seed: stacked when the network allows (or `stacked` says), else one by one."""
    if not (stackable(config.spec(), config.optimizer) if stacked is None else stacked):
        yield from one_by_one(config, samples, SCRATCH, lambda seed, task: scratch(config, seed, task), window, stop)
        return
    seeds, (lo, hi) = config.b_seeds(), window
    ends: dict[int, dict] = {}
    race = train_stacked(samples, config.spec(), seeds, b_spec(config, seeds[0], SCRATCH), stop=stop)
    while True:
        try:
            rec = next(race)
        except StopIteration as end:
            results: Result | None = end.value
            break
        m = rec["model"]
        rec = ends[m] = {k: v for k, v in rec.items() if k != "model"}
        yield from _within(tag_runs(iter([rec]), run=label(SCRATCH, seeds[m]), index=0, n_runs=1, method=SCRATCH,
                                    seed=seeds[m], phase="all layers", n_examples=len(samples[m].train)), lo, hi)
    if results is None or stop():
        return
    for m, seed in enumerate(seeds):
        yield _test(ends[m], SCRATCH, seed, results[m], hi)


def summary(tests: list[dict]) -> dict:
    """The summary record's figures (the tables' own): per method the seeds tested and the mean,
    std, min and max test accuracy; per seed tested both ways, how many gained; the first seed alone."""
    spread, pairs = tables.spread(tests).set_index("method"), tables.paired(tests)
    out: dict = {}
    for method, key in ((SCRATCH, "scratch"), (ON_A, "on_a")):
        row = spread.loc[method] if method in spread.index else {}
        out.update({f"{key}_{stat}": (float(row[stat]) if len(row) else None) for stat in ("mean", "std", "min", "max")})
        out[f"{key}_seeds"] = int(row["seeds"]) if len(row) else 0
    gains = pairs["gain"] if not pairs.empty else pd.Series(dtype=float)
    first = pairs.iloc[0] if not pairs.empty else None
    out.update(gain_mean=float(gains.mean()) if len(gains) else None, wins=int((gains > 0).sum()),
               losses=int((gains < 0).sum()), ties=int((gains == 0).sum()),
               first_seed=None if first is None else int(first["seed"]),
               first_gain=None if first is None else float(first["gain"]),
               first_scratch=None if first is None else float(first[SCRATCH]),
               first_on_a=None if first is None else float(first[ON_A]))
    return out


def plan_record(config: Config, loaded: data.Data, pool: data.Data, n: int, a_cached: bool, stacked: bool) -> dict:
    """What the run will do, said first: N as used (and whether the two classes' train split capped
    it), the classes of each task, whether A comes from the cache, how B from scratch trains."""
    a, b = (loaded.class_names[c] for c in config.classes)
    capped = n < config.n_examples
    return {"kind": "plan", "progress": 0.0, "n_examples": n, "n_requested": config.n_examples,
            "n_pool": len(pool.train), "capped": capped, "classes_b": [a, b], "a_classes": loaded.n_classes - 2,
            "a_cached": a_cached, "scratch_path": "stacked" if stacked else "one by one",
            "message": (f"N = {n}: the train split holds only {len(pool.train)} examples of {a} and {b}" if capped
                        else f"N = {n} of the {len(pool.train)} train examples of {a} and {b}")}


def run(config: Config, stop: Stop = never) -> Iterator[dict]:
    loaded = yield from load(config, stop)
    if loaded is None:
        return
    check_classes(loaded, config.classes)
    task, pool = task_a(loaded, config.classes), task_b(loaded, config.classes)
    n = min(config.n_examples, len(pool.train))
    a_cached, stacked = cache.get(cache.key(config)) is not None, stackable(config.spec(), config.optimizer)
    plan = Plan.of(config, len(task.train), n, a_cached, stacked)
    yield (said := plan_record(config, loaded, pool, n, a_cached, stacked))
    a = yield from model_a(config, task, plan.window("A"), stop)
    if a is None or stop():
        return
    samples = [sample(pool, n, seed) for seed in config.b_seeds()]
    tests: list[dict] = []
    phases = (lambda: from_scratch(config, samples, plan.window(SCRATCH), stop),
              lambda: one_by_one(config, samples, ON_A, lambda seed, t: on_a(config, a, t, seed), plan.window(ON_A),
                                 stop))
    for phase in phases:
        for rec in phase():
            tests += [rec] if rec["kind"] == "test" else []
            yield rec
        if stop():
            return
    yield {"kind": "summary", "progress": 1.0, "status": "done", "n_examples": n, "a_cached": a_cached,
           "message": tables.headline([said, *tests]), **summary(tests)}
