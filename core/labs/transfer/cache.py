"""Trained model A kept in the process, keyed by everything A depends on, so that a run which
changes only B's settings (N, seeds, reuse, freezing, B's epochs) reuses A instead of training
it again. Small and bounded: a few A's of a few hundred kilobytes each."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch

MAX_ENTRIES = 8


@dataclass(frozen=True)
class Entry:
    state: dict[str, torch.Tensor]  # A's trained weights, on the CPU
    records: tuple[dict, ...]  # A's training records, replayed so the chart still shows A


_entries: OrderedDict[tuple, Entry] = OrderedDict()
_lock = threading.Lock()


def key(config: Any) -> tuple:
    """What model A depends on: the data and its split, the held-out classes, the network and
    A's training. B's settings are not in it."""
    return (config.dataset, config.seed, config.device, tuple(config.classes), config.depth, config.width,
            config.activation, config.init, config.optimizer, config.lr, config.epochs_a, config.batch_size)


def get(k: tuple) -> Entry | None:
    with _lock:
        entry = _entries.get(k)
        if entry is not None:
            _entries.move_to_end(k)
        return entry


def put(k: tuple, state: dict[str, torch.Tensor], records: list[dict]) -> None:
    cpu = {name: t.detach().cpu().clone() for name, t in state.items()}
    with _lock:
        _entries[k] = Entry(cpu, tuple(dict(r) for r in records))
        _entries.move_to_end(k)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()
