"""Task A and task B cut from one dataset: A is every class but two, B those two as a binary task
with N labelled examples per seed. Both keep the whole dataset's standardization (its train
split's mean and std), so B's inputs are what A's layers were trained on."""
from __future__ import annotations

import dataclasses

import torch

from core.data import Data, Split


def check_classes(data: Data, classes: tuple[int, ...]) -> None:
    """ValueError when a held-out class is not a class of `data`."""
    bad = [c for c in classes if not 0 <= c < data.n_classes]
    if bad:
        raise ValueError(f"classes: {data.name} has classes 0..{data.n_classes - 1}, so class "
                         f"{', '.join(map(str, bad))} does not exist; pick two of 0..{data.n_classes - 1}")


def _keep(split: Split, classes: list[int]) -> Split:
    """The examples of `classes`, their labels renumbered 0.. in the order of `classes`."""
    y = split.y
    mask = torch.isin(y, torch.tensor(classes, device=y.device))
    new = torch.zeros_like(y)
    for i, c in enumerate(classes):
        new[y == c] = i
    return Split(split.x[mask], new[mask])


def _task(data: Data, classes: list[int]) -> Data:
    return dataclasses.replace(data, train=_keep(data.train, classes), valid=_keep(data.valid, classes),
                               test=_keep(data.test, classes), n_classes=len(classes),
                               class_names=tuple(data.class_names[c] for c in classes))


def task_a(data: Data, held_out: tuple[int, ...]) -> Data:
    """Every class but `held_out`, labels 0..C-3 in the dataset's order."""
    return _task(data, [c for c in range(data.n_classes) if c not in held_out])


def task_b(data: Data, held_out: tuple[int, ...]) -> Data:
    """The two `held_out` classes, labels 0 and 1 in their order; its train split is the pool
    each seed draws its N examples from."""
    return _task(data, list(held_out))


def sample(pool: Data, n: int, seed: int) -> Data:
    """`pool` with n of its train examples, drawn without replacement by `seed` (the first n of
    a permutation from a generator of its own); validation and test stay whole."""
    n = min(n, len(pool.train))
    pick = torch.randperm(len(pool.train), generator=torch.Generator().manual_seed(seed))[:n].to(pool.device)
    return dataclasses.replace(pool, train=Split(pool.train.x[pick], pool.train.y[pick]))
