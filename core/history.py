"""A session's runs: every run a visitor started in any lab, kept after its job ends. The run
history page lists them; a lab that overlays runs of several jobs (deep nets) draws its run table
from the same store.

An entry is one job (one press of Run): it points at the job that holds the records (jobs are
shared between visitors; records are never copied) and says which lab ran it, with which settings
(the job's config in the config grammar), how it ended and its key result (the lab's headline).
Its runs (a job may train several configurations side by side) are the lines of a lab's run
table, each under a label unique within the lab. Tables derived from the records are computed
per job snapshot (`core.snapshots.shared`) and relabelled here, so showing ten runs of four
jobs costs four cached derivations.

What a session holds is bounded: MAX_RUNS entries per lab and MAX_BYTES of records in all,
measured as their JSON text (the history file's size); past either, the oldest entries are
dropped, each with a notice.
"""
from __future__ import annotations

import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pandas as pd

from core import config as C
from core import export, frames, labs
from core.jobs import size_of
from core.labs.base import Lab

MAX_RUNS = 20  # entries (jobs) kept per lab and session; the oldest go first
MAX_BYTES = 4 * 2**20  # records kept per session, as JSON text (a few times that as Python objects)
NO_RESULT = "no result yet"


def specs(config: Any) -> dict[str, str]:
    """Run label -> that run's own configuration as text, for labs whose runs have one (deep
    nets, vanishing gradients: `activation/init/...`); empty for the others."""
    return {s.label: s.text() for s in config.specs()} if hasattr(config, "specs") else {}


def json_size(records: list[dict]) -> int:
    """Bytes of the records as the history file writes them."""
    return len(json.dumps(records, separators=(",", ":"), default=str))


@dataclass(eq=False)
class Entry:
    n: int  # its number in the session, "#n" on the page and on charts
    lab: str  # the lab's registry name
    part: str  # "" for the lab's main run, else the name of the part (e.g. the range test)
    job: Any  # the jobs.Job holding the records, status and artifacts
    panel: str  # the lab page's live panel that shows it: where "open in its lab" puts it back
    settings: dict[str, str]  # the job's config, every field as text
    specs: dict[str, str]  # run label -> its own configuration as text, where the lab has one
    loaded: bool = False  # from a history file
    labels: dict[str, str] = field(default_factory=dict)  # run label -> its label in the lab's run table
    hidden: set[str] = field(default_factory=set)  # runs left off the lab's overlay
    kept: dict = field(default_factory=dict)  # artifacts copied at the end (the runner may free the job's)
    headline: str = ""  # the key result, once finished
    nbytes: int = 0  # the records' JSON size (+ kept artifacts), once finished
    finished: bool = False

    @property
    def title(self) -> str:
        """'Learning-rate schedules' or 'Learning-rate schedules: LR range test'."""
        lab = labs.get(self.lab)
        return f"{lab.title}: {lab.part(self.part).title}" if self.part else lab.title

    def records(self) -> list[dict]:
        return self.job.snapshot()

    def changed(self) -> str:
        """The settings that differ from the defaults, as in a link."""
        changed = C.changed(self.job.config)
        return ", ".join(f"{k}={v}" for k, v in changed.items()) or "the default settings"

    def weights(self) -> str:
        """Whether the views that need the run's artifacts (trained weights) can still open."""
        if self.job.artifacts or self.kept:
            return "held"
        return "freed: run it again for its views" if self.job.artifacts_dropped else ""

    def rows(self) -> Callable[[list[dict]], pd.DataFrame]:
        """Records -> CSV rows: the lab's table for its main run, every record flat for a part."""
        return labs.rows(labs.get(self.lab), self.part)


@dataclass(frozen=True)
class Line:
    """One run of an entry, as a lab's run table lists it."""

    entry: Entry
    run: str  # its label within its job

    @property
    def job(self) -> Any:
        return self.entry.job

    @property
    def label(self) -> str:
        return self.entry.labels[self.run]

    @property
    def config(self) -> str:
        return self.entry.specs.get(self.run, "")

    @property
    def shown(self) -> bool:
        return self.run not in self.entry.hidden

    @property
    def kept(self) -> dict:
        return self.entry.kept

    def records(self) -> list[dict]:
        return frames.by_run(self.job.snapshot()).get(self.run, [])


def headline(lab: Lab, part: str, job: Any) -> str:
    """The run's key result in one line: the lab's headline (a part's: each run's result), the
    closing record's message when that says nothing, the error of a failed job."""
    if job.status == "failed":
        return job.error or "failed"
    records = job.snapshot()
    text = (frames.headline if part else lab.headline)(records)
    if text == NO_RESULT and records and records[-1].get("message"):
        text = str(records[-1]["message"])
    return f"stopped: {text}" if job.status == "cancelled" else text


class RunTable:
    """Every lab's runs of one session, in the order they started."""

    def __init__(self, limit: int = MAX_RUNS, max_bytes: int = MAX_BYTES) -> None:
        self.limit, self.max_bytes = limit, max_bytes
        self.entries: list[Entry] = []
        self.dropped: deque[str] = deque(maxlen=5)  # the latest notices of entries dropped
        self._numbers = itertools.count(1)
        self._forgotten: set[int] = set()  # ids of jobs deleted or dropped: not added back unless run again

    # --- adding ---------------------------------------------------------------------------------
    def track(self, job: Any, *, panel: str = "", keep: tuple[str, ...] = ()) -> list[str]:
        """Add `job` if a lab's config runs in it (once, and not after it was deleted or dropped
        unless `allow`ed again), label its runs as they appear, and once it has ended copy the
        artifacts named `keep` ("{run}" stands for each run's label). Returns a notice per entry
        dropped to stay within the limits."""
        if job.id in self._forgotten or (found := labs.owner(job.config)) is None:
            return []
        entry = self.entry_of(job)
        if entry is None:
            entry = self._add(job, found, panel)
        self._label(entry)
        if keep and job.is_terminal:
            self._keep(entry, keep)
        return self.settle()

    def adopt(self, job: Any, panel: str) -> Entry:
        """Add a finished job loaded from a history file (its config already checked)."""
        lab, part = labs.owner(job.config)
        entry = self._add(job, (lab, part), panel, loaded=True)
        self._label(entry)
        return entry

    def allow(self, job: Any) -> None:
        """The person ran `job` again (the same settings give the same job): it may come back."""
        self._forgotten.discard(job.id)

    def _add(self, job: Any, found: tuple[Lab, str], panel: str, loaded: bool = False) -> Entry:
        lab, part = found
        entry = Entry(next(self._numbers), lab.name, part, job, panel, C.to_strings(job.config), specs(job.config),
                      loaded=loaded)
        self.entries.append(entry)
        return entry

    def entry_of(self, job: Any) -> Entry | None:
        return next((e for e in self.entries if e.job is job), None)

    def _label(self, entry: Entry) -> None:
        """A label unique within the lab for each run not labelled yet: 'plain', then 'plain #2'."""
        new = [run for run in frames.by_run(entry.job.snapshot()) if run not in entry.labels]
        if not new:
            return
        taken = {label for e in self.entries if e.lab == entry.lab for label in e.labels.values()}
        for run in new:
            label = run if run not in taken else next(
                f"{run} #{k}" for k in itertools.count(2) if f"{run} #{k}" not in taken)
            entry.labels[run] = label
            taken.add(label)

    def _keep(self, entry: Entry, keep: tuple[str, ...]) -> None:
        for key in [name.format(run=run) for name in keep for run in (entry.labels if "{run}" in name else [""])]:
            value = entry.job.artifact(key)
            if value is not None and key not in entry.kept:
                entry.kept[key] = value
                entry.nbytes += size_of(value)

    # --- bounds ---------------------------------------------------------------------------------
    def settle(self) -> list[str]:
        """Finish the entries whose jobs have ended (key result, size), then drop the oldest past
        MAX_RUNS of a lab or MAX_BYTES in all (never the newest). Returns a notice per entry dropped."""
        for e in self.entries:
            if not e.finished and e.job.is_terminal:
                self._label(e)
                lab = labs.get(e.lab)
                e.headline, e.finished = headline(lab, e.part, e.job), True
                e.nbytes += json_size(e.job.records)
        notices = []
        for lab in dict.fromkeys(e.lab for e in self.entries):
            mine = [e for e in self.entries if e.lab == lab]
            for e in mine[:max(0, len(mine) - self.limit)]:
                notices.append(self._drop(e, f"a session keeps the latest {self.limit} runs of each lab"))
        total = sum(e.nbytes for e in self.entries if e.finished)
        for e in [e for e in self.entries if e.finished][:-1]:
            if total <= self.max_bytes:
                break
            total -= e.nbytes
            notices.append(self._drop(e, f"a session keeps {self.max_bytes / 2**20:g} MB of records; "
                                         "download the history to keep more"))
        return notices

    def _drop(self, entry: Entry, why: str) -> str:
        self.entries.remove(entry)
        self._forgotten.add(entry.job.id)
        notice = f"Run #{entry.n} ({entry.title}) was dropped from the history: {why}."
        self.dropped.append(notice)
        return notice

    def nbytes(self) -> int:
        return sum(e.nbytes for e in self.entries if e.finished)

    # --- the history ------------------------------------------------------------------------------
    def finished(self) -> list[Entry]:
        """The entries whose jobs have ended, oldest first."""
        return [e for e in self.entries if e.finished]

    def remove(self, entries: Iterable[Entry]) -> None:
        """Delete these entries; their jobs are not added back unless run again."""
        gone = {id(e) for e in entries}
        for e in [e for e in self.entries if id(e) in gone]:
            self.entries.remove(e)
            self._forgotten.add(e.job.id)

    def clear(self, lab: str | None = None) -> None:
        """Delete every entry (of `lab`)."""
        self.remove([e for e in self.entries if lab is None or e.lab == lab])

    # --- a lab's run table --------------------------------------------------------------------------
    def of(self, lab: str, *, shown_only: bool = False) -> list[Line]:
        """The lab's runs, every job's in order, as lines of its run table."""
        return [line for e in self.entries if e.lab == lab for line in (Line(e, run) for run in e.labels)
                if line.shown or not shown_only]

    def show(self, lab: str, labels: set[str]) -> None:
        """Overlay exactly the runs labelled `labels`."""
        for e in self.entries:
            if e.lab == lab:
                e.hidden = {run for run, label in e.labels.items() if label not in labels}

    def gather(self, lines: list[Line], derive: Callable[[list[dict]], pd.DataFrame]) -> pd.DataFrame:
        """derive(records) over each job's snapshot (shared between visitors), the rows of the
        lines' runs kept and relabelled with their labels in the table."""
        parts = []
        for job in dict.fromkeys(line.job for line in lines):
            rename = {line.run: line.label for line in lines if line.job is job}
            df = derive(job.snapshot())
            df = df[df["run"].isin(rename)]
            parts.append(df.assign(run=df["run"].map(rename)))
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else derive([])


# --- comparing and exporting entries --------------------------------------------------------------

def run_name(entry: Entry, run: str) -> str:
    """A run's name across jobs: '#3 Adam (seed 0)'."""
    return f"#{entry.n} {run}".rstrip()


def compare(entries: list[Entry], *, train: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, list[str], int]:
    """The entries' learning curves on one set of axes: (curves, status, run names, epochs).
    Each run is named '#n run'; validation only unless `train`."""
    curves, status, names = [], [], []
    for e in entries:
        snap = e.job.snapshot()
        rename = {run: run_name(e, run) for run in frames.by_run(snap)}
        df = frames.curves(snap)
        curves.append(df.assign(run=df["run"].map(rename)))
        st_ = frames.status(snap)
        status.append(st_.assign(run=st_["run"].map(rename)))
        names += rename.values()
    df = pd.concat(curves, ignore_index=True) if curves else frames.curves([])
    if not train:
        df = df[df["split"] == "validation"]
    epochs = max(1, int(-(-df["epoch"].max() // 1))) if not df.empty else 1
    return df, pd.concat(status, ignore_index=True) if status else frames.status([]), names, epochs


def table(entries: list[Entry]) -> pd.DataFrame:
    """The entries' records as CSV rows (every entry of one lab and part): the lab's table with
    the settings that differ between them as columns (core.export) and the entry's number."""
    numbers = iter(e.n for e in entries)

    def rows(records: list[dict]) -> pd.DataFrame:  # export.table calls it once per entry, in order
        df = entries[0].rows()(records)
        return df.assign(**{"history run": next(numbers)})

    df = export.table(rows, [(e.job.config, e.job.snapshot()) for e in entries])
    return df[["history run", *(c for c in df.columns if c != "history run")]]


def when(t: float | None) -> str:
    """'14:03:07' today, '2025-05-01 14:03' another day."""
    if not t:
        return ""
    same_day = time.localtime(t)[:3] == time.localtime()[:3]
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M", time.localtime(t))
