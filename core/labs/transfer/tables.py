"""The Transfer-learning lab's tables and words, from its records."""
from __future__ import annotations

import pandas as pd

from core import frames
from core.labs.transfer.config import METHODS, MODEL_A
from core.snapshots import shared

B_COLUMNS = ["run", "method", "seed", "epoch", "val_acc", "phase"]
TEST_COLUMNS = ["run", "method", "seed", "test_acc", "test_loss"]
SPREAD_COLUMNS = ["method", "seeds", "mean", "std", "min", "max", "lo", "hi"]


def plan(records: list[dict]) -> dict:
    """The run's plan record: N used and asked for, the held-out classes, whether A came from the cache."""
    return next((r for r in records if r.get("kind") == "plan"), {})


def final(records: list[dict]) -> dict:
    """The summary record, once the run has ended; {} before."""
    return next((r for r in reversed(records) if r.get("kind") == "summary"), {})


@shared
def a_records(records: list[dict]) -> list[dict]:
    return [r for r in frames.train_records(records) if r.get("method") == MODEL_A]


@shared
def a_curves(records: list[dict]) -> pd.DataFrame:
    """Model A's learning curves (frames.curves' long form)."""
    return frames.curves(a_records(records))


@shared
def a_status(records: list[dict]) -> pd.DataFrame:
    return frames.status(a_records(records))


@shared
def b_curves(records: list[dict]) -> pd.DataFrame:
    """B's validation accuracy at each epoch end, one row per (run, epoch), both methods."""
    rows = [{k: r.get(k) for k in B_COLUMNS} for r in frames.train_records(records)
            if r.get("method") in METHODS and r.get("epoch_end") and r.get("val_acc") is not None]
    return pd.DataFrame(rows, columns=B_COLUMNS)


@shared
def b_means(records: list[dict]) -> pd.DataFrame:
    """Per method and epoch: the mean validation accuracy over the seeds that reported it."""
    df = b_curves(records)
    if df.empty:
        return pd.DataFrame(columns=["method", "epoch", "val_acc", "seeds"])
    return df.groupby(["method", "epoch"], sort=False).agg(val_acc=("val_acc", "mean"),
                                                           seeds=("val_acc", "size")).reset_index()


@shared
def tests(records: list[dict]) -> pd.DataFrame:
    """One row per (method, seed) tested: its test accuracy and loss."""
    rows = [{k: r.get(k) for k in TEST_COLUMNS} for r in records
            if r.get("kind") == "test" and r.get("test_acc") is not None]
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


@shared
def spread(records: list[dict]) -> pd.DataFrame:
    """Per method: seeds tested, mean, std (n−1), min and max test accuracy; lo/hi = mean ∓ std."""
    df = tests(records)
    rows = []
    for method in METHODS:
        acc = df.loc[df["method"] == method, "test_acc"]
        if acc.empty:
            continue
        std = float(acc.std()) if len(acc) > 1 else 0.0
        mean = float(acc.mean())
        rows.append({"method": method, "seeds": len(acc), "mean": mean, "std": std, "min": float(acc.min()),
                     "max": float(acc.max()), "lo": mean - std, "hi": mean + std})
    return pd.DataFrame(rows, columns=SPREAD_COLUMNS)


@shared
def paired(records: list[dict]) -> pd.DataFrame:
    """Per seed tested by both methods: both test accuracies and the gain of B on A (points of accuracy as a share)."""
    df = tests(records)
    wide = df.pivot_table(index="seed", columns="method", values="test_acc")
    if not set(METHODS) <= set(wide.columns):
        return pd.DataFrame(columns=["seed", *METHODS, "gain"])
    wide = wide[list(METHODS)].dropna().reset_index()
    wide["gain"] = wide[METHODS[1]] - wide[METHODS[0]]
    return wide


def _seeds(n: int) -> str:
    return "1 seed" if n == 1 else f"{n} seeds"


def _points(share: float) -> str:
    return f"{share * 100:+.1f} points"


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _direction(sign: int) -> str:
    return {1: "a gain for transfer", -1: "a loss for transfer", 0: "no difference"}[sign]


def verdict(records: list[dict]) -> str:
    """In plain words: what the first seed alone says, and whether it holds over every seed. The
    average gain counts as clear when it exceeds twice its standard error over the seeds."""
    pairs = paired(records)
    if pairs.empty:
        return ""
    first = pairs.iloc[0]
    seed, gain = int(first["seed"]), float(first["gain"])
    alone = (f"**Seed {seed} alone**: B on A {first[METHODS[1]]:.1%} against {first[METHODS[0]]:.1%} from scratch, "
             + (f"{_points(gain)}." if gain else "no difference."))
    n = len(pairs)
    if n == 1:
        return alone + " One seed cannot say whether that holds: run more seeds and see the spread."
    gains = pairs["gain"]
    wins, losses = int((gains > 0).sum()), int((gains < 0).sum())
    mean, se = float(gains.mean()), float(gains.std()) / n ** 0.5
    clear = abs(mean) > 2 * se
    over = (f" **Over {n} seeds** B on A is {_points(mean)} on average (± {2 * se * 100:.1f} for twice the standard "
            f"error): better in {wins}, worse in {losses}, tied in {n - wins - losses}.")
    found = _sign(mean) if clear else 0
    if found == 0:
        said = " The seeds together show no clear difference: the average gain is within the seed-to-seed noise."
    else:
        said = f" The seeds together show {_direction(found)}" + (", in every seed." if max(wins, losses) == n else
                                                                   ", though not in every seed.")
    if _sign(gain) == found:
        holds = f" What seed {seed} alone said holds."
    else:
        holds = f" Seed {seed} alone said {_direction(_sign(gain))}: that does not hold."
    return alone + over + said + holds


@shared
def headline(records: list[dict]) -> str:
    """'B on A 97.6% ± 3.7 against from scratch 96.4% ± 2.8 (10 seeds, N = 20); seed 0 alone: +0.0 points'."""
    s, pairs = spread(records).set_index("method"), paired(records)
    if not set(METHODS) <= set(s.index):
        return frames.headline(a_records(records)) if a_records(records) else "no result yet"
    on_a, scratch = s.loc[METHODS[1]], s.loc[METHODS[0]]
    n = plan(records).get("n_examples")
    line = (f"B on A {on_a['mean']:.1%} ± {on_a['std'] * 100:.1f} against from scratch {scratch['mean']:.1%} "
            f"± {scratch['std'] * 100:.1f} (test accuracy, {_seeds(int(on_a['seeds']))}" + (f", N = {n})" if n else ")"))
    if not pairs.empty:
        line += f"; seed {int(pairs.iloc[0]['seed'])} alone: {_points(float(pairs.iloc[0]['gain']))}"
    return line


def table(records: list[dict]) -> pd.DataFrame:
    """Training, test and summary records, one row each (CSV-ready)."""
    return frames.flat([r for r in records if r.get("kind") in ("train", "test", "summary")])
