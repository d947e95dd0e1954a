"""What every watcher of a job sees, derived once per new record and shared.

A page redraws its charts about twice a second in every session that watches a job. Tables and
chart data derived from the records are the same for all of them, so they are computed once per
snapshot, keyed by (job, record count), and kept in one bounded cache for the process: a tick
with nothing new, or a second session on the same job, finds the result ready. (Hashing the
records through a generic cache would cost about what it saves; the key here is two integers.)

A `Snapshot` is a plain list of records that also names which job and how many records it
holds. Functions marked `@shared` take the records first; given a Snapshot they look the result
up, given any other list they simply compute it (tests, scripts, the command line). Results are
shared between sessions: callers must not modify them.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterable, TypeVar

MAX_ENTRIES = 512  # derived results kept for the whole process (a few hundred small DataFrames)

F = TypeVar("F", bound=Callable[..., Any])


class Snapshot(list):
    """The first `count` records of job `job_id`; `key` = (job_id, count)."""

    __slots__ = ("key",)

    def __init__(self, records: Iterable[dict], key: tuple[int, int]) -> None:
        super().__init__(records)
        self.key = key


class _Cache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[tuple, tuple[int, Any]] = OrderedDict()  # (job, fn, args) -> (count, value)
        self._gates: dict[tuple, threading.Lock] = {}  # one computation per key at a time
        self._lock = threading.Lock()
        self.computed = 0  # derivations run (for tests and the room benchmark)
        self.served = 0  # derivations answered from the cache

    def get(self, key: tuple, count: int, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._ready(key, count)
            if hit is not None:
                return hit[1]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:  # a second session asking for the same snapshot waits for the first's result
            with self._lock:
                hit = self._ready(key, count)
                if hit is not None:
                    return hit[1]
            value = compute()
            with self._lock:
                self.computed += 1
                stored = self._values.get(key)
                if stored is None or stored[0] <= count:  # never replace a newer snapshot's result
                    self._values[key] = (count, value)
                    self._values.move_to_end(key)
                    while len(self._values) > self.max_entries:
                        old, _ = self._values.popitem(last=False)
                        self._gates.pop(old, None)
            return value

    def _ready(self, key: tuple, count: int) -> tuple[int, Any] | None:
        hit = self._values.get(key)
        if hit is not None and hit[0] == count:
            self.served += 1
            self._values.move_to_end(key)
            return hit
        return None

    def forget(self, job_id: int) -> None:
        """Drop what was derived from job `job_id` (it was dropped by the runner)."""
        with self._lock:
            for k in [k for k in self._values if k[0] == job_id]:
                del self._values[k]
                self._gates.pop(k, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._gates.clear()
            self.computed = self.served = 0

    def __len__(self) -> int:
        return len(self._values)


cache = _Cache(MAX_ENTRIES)


def shared(fn: F) -> F:
    """Mark `fn(records, *args, **kwargs)` as a derivation shared per snapshot (see the module)."""
    @functools.wraps(fn)
    def derive(records: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(records, Snapshot):
            return fn(records, *args, **kwargs)
        job_id, count = records.key
        key = (job_id, fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # unhashable arguments: computed, not shared
            return fn(records, *args, **kwargs)
        return cache.get(key, count, lambda: fn(records, *args, **kwargs))

    return derive  # type: ignore[return-value]
