"""A session's runs: every run a lab trained for one visitor, kept after its job ends so that
runs of different jobs can be overlaid on one chart.

An entry points at the job that holds its records (jobs are shared between visitors; a run's
records are never copied), under a label unique within its lab's table. Tables derived from the
records are computed per job snapshot (`core.snapshots.shared`) and relabelled here, so showing
ten runs of four jobs costs four cached derivations.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from core import frames

MAX_RUNS = 20  # runs kept per lab and session; the oldest go first


@dataclass
class Entry:
    lab: str  # the lab's registry name
    job: Any  # the jobs.Job holding the run's records and artifacts
    run: str  # the run's label within its job
    label: str  # its label in the table and on charts, unique within the lab
    config: str  # the run's settings as text, in the config grammar
    added: float = field(default_factory=time.time)
    shown: bool = True  # overlaid on the charts
    kept: dict = field(default_factory=dict)  # artifacts copied at the end (the runner may free the job's)

    def records(self) -> list[dict]:
        return frames.by_run(self.job.snapshot()).get(self.run, [])


class RunTable:
    """Every lab's runs of one session, in the order they started."""

    def __init__(self, limit: int = MAX_RUNS) -> None:
        self.limit = limit
        self.entries: list[Entry] = []

    def track(self, lab: str, job: Any, configs: dict[str, str], keep: tuple[str, ...] = ()) -> list[str]:
        """Add the runs of `job` that have records and are not in the table yet; `configs`: run
        label -> its settings as text. Once the job has ended, artifacts named `keep` (with
        "{run}" for the run's label) are copied into each entry. Returns a notice per run dropped
        to stay within the limit."""
        have = {(id(e.job), e.run) for e in self.entries if e.lab == lab}
        for run in frames.by_run(job.snapshot()):
            if (id(job), run) not in have:
                self.entries.append(Entry(lab, job, run, self._unique(lab, run), configs.get(run, "")))
        if job.is_terminal:
            for e in self.entries:
                if e.job is job and not e.kept:
                    e.kept = {name: job.artifact(name.format(run=e.run)) for name in keep}
        mine = [e for e in self.entries if e.lab == lab]
        dropped = mine[:max(0, len(mine) - self.limit)]
        for e in dropped:
            self.entries.remove(e)
        return [f"{e.label} was dropped from the table: it keeps the latest {self.limit} runs." for e in dropped]

    def _unique(self, lab: str, run: str) -> str:
        taken = {e.label for e in self.entries if e.lab == lab}
        if run not in taken:
            return run
        return next(f"{run} #{n}" for n in itertools.count(2) if f"{run} #{n}" not in taken)

    def of(self, lab: str, *, shown_only: bool = False) -> list[Entry]:
        return [e for e in self.entries if e.lab == lab and (e.shown or not shown_only)]

    def show(self, lab: str, labels: set[str]) -> None:
        """Overlay exactly the runs labelled `labels`."""
        for e in self.of(lab):
            e.shown = e.label in labels

    def remove(self, lab: str, labels: set[str] | None = None) -> None:
        """Drop the runs labelled `labels` (None: all of the lab's)."""
        self.entries = [e for e in self.entries if e.lab != lab or (labels is not None and e.label not in labels)]

    def gather(self, entries: list[Entry], derive: Callable[[list[dict]], pd.DataFrame]) -> pd.DataFrame:
        """derive(records) over each job's snapshot (shared between visitors), the rows of the
        entries' runs kept and relabelled with their labels in the table."""
        parts = []
        for job in dict.fromkeys(e.job for e in entries):
            rename = {e.run: e.label for e in entries if e.job is job}
            df = derive(job.snapshot())
            df = df[df["run"].isin(rename)]
            parts.append(df.assign(run=df["run"].map(rename)))
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else derive([])
