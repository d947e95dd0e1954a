"""The live-run panel: Run and Stop, queue place, progress with ETA, and a fragment that
redraws the page's charts from the job's records about twice a second while it trains."""
from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from typing import Any, Callable, Iterator

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import config as C
from core import export as export_
from core import frames, jobs, labs
from core.config import key as config_key
from ui import charts, runs as runs_

Draw = Callable[[list[dict], "jobs.Job | None"], None]
REFRESH_SECONDS = 0.5  # a live panel's redraw interval when few visitors watch
TICKS_ENV = "DYNAMICS_TICKS_PER_SECOND"
STATUS_ICON = {"running": "⏳", "done": "🏁", "diverged": "💥", "cancelled": "⏹️", "early_stopped": "🏁"}  # status, not verdict


class LivePanel:
    def __init__(self, key: str, verb: str = "Training") -> None:
        log_jobs()
        self.name, self.verb = key, verb
        self.key = f"{key}_job"  # session-state slot holding this page's job handle
        self.config_slot = f"{key}_config"  # ...and the config that job runs
        self.origin_slot = f"{key}_origin"  # "cached": an identical finished run served at once; "history": reopened

    @property
    def job(self) -> jobs.Job | None:
        return st.session_state.get(self.key)

    def starter(self, run: Callable[..., Iterator[Any]], config: Any, lane: str = "train") -> Callable[[], jobs.Job]:
        """A `start` for `controls`: submits run(config) (identical configs share one job) and
        remembers the config, so the charts keep describing the run while widgets move."""
        def start() -> jobs.Job:
            st.session_state[self.config_slot] = config
            return jobs.submit(functools.partial(run, config), label=self.name, lane=lane, config=config,
                               key=f"{run.__module__}.{run.__qualname__}:{config_key(config)}")
        return start

    def start(self, run: Callable[..., Iterator[Any]], config: Any, lane: str = "train") -> jobs.Job:
        """Start run(config) in this panel from another page (which then switches to this one);
        jobs.QueueFull when the server is busy."""
        job = self.starter(run, config, lane)()
        self._hold(job)
        return job

    def ensure(self, fn: Callable[..., Iterator[Any]], key: str, lane: str = "quick") -> jobs.Job | None:
        """The job of `key` on show, submitted now unless it already is (a view that computes
        itself as soon as its inputs are chosen); None, with a notice, when the queue is full."""
        job = self.job
        if job is None or job.key != key:
            try:
                job = jobs.submit(fn, label=self.name, key=key, lane=lane)
            except jobs.QueueFull as exc:
                st.warning(f"The server is busy: {exc}.")
                return None
            self._hold(job)
        return job

    def _hold(self, job: jobs.Job) -> None:
        """Show `job` in this panel, remembering whether it came finished from the cache."""
        st.session_state[self.key] = job
        st.session_state[self.origin_slot] = "cached" if job.is_terminal else None
        runs_.session_runs().allow(job)  # run again: back in the history even if it was deleted from it
        self._keep(job)

    def _keep(self, job: jobs.Job) -> None:
        """The session's history keeps every run a panel shows (a lab's config runs in it; the
        page's own analyses do not count), listed once it has ended."""
        for notice in runs_.session_runs().track(job, panel=self.name):
            st.toast(notice)

    def job_config(self, default: Any) -> Any:
        """The config of the job on show (`default` before the first run)."""
        return st.session_state.get(self.config_slot, default)

    def controls(self, start: Callable[[], jobs.Job] | None, *, label: str = "Run",
                 disabled_reason: str | None = None) -> None:
        """Run and Stop buttons. `start` submits the job; None (with a reason) disables Run.

        A press is read from the buttons' state before they are drawn, so that they are drawn
        once, for the new state: no second run of the page (which, for every visitor pressing,
        costs the server and even more the browser)."""
        run_key, stop_key = f"{self.key}_run", f"{self.key}_stop"
        said = f"{self.key}_said"  # what the last press answered, shown until the next press
        job = self.job
        if st.session_state.get(run_key) and start is not None and (job is None or job.is_terminal):
            st.session_state.pop(said, None)
            try:
                self._hold(start())
            except jobs.QueueFull as exc:
                st.session_state[said] = ("warning", f"The server is busy: {exc}.")
            except ValueError as exc:
                st.session_state[said] = ("error", str(exc))
        elif st.session_state.get(stop_key) and job is not None and not job.is_terminal:
            st.session_state[said] = None if job.cancel() else (
                "info", "Others are watching this same run, so it goes on for them.")
        job = self.job
        running = job is not None and not job.is_terminal
        left, right, _ = st.columns([1, 1, 4])
        left.button(label, type="primary", key=run_key, disabled=start is None or running, help=disabled_reason)
        right.button("Stop", key=stop_key, disabled=not running)
        if st.session_state.get(said):
            kind, text = st.session_state[said]
            getattr(st, kind)(text)

    def show(self, draw: Draw, *, empty: str | None = None, reports: str | None = None,
             export: tuple[str, export_.Table] | None = None, no_script: str | None = None) -> None:
        """Status line and the page's charts; live while the job runs. With `empty`, that caption
        stands in for the charts until the first training record; with `reports`, "N reports so
        far" (its help text) comes above them; with `export` (a file name and the lab's table), once
        the job has ended, a button that downloads its records as CSV and a menu that downloads
        each chart drawn as PNG or SVG, made when pressed; with `no_script` (what a view that is
        not a training run is instead), a line beside them saying no standalone script is offered."""
        job = self.job
        live = job is not None and not job.is_terminal
        runs = [0]  # the fragment's runs: the first is inline, in the page's own run

        every = refresh_seconds() if live else None

        @st.fragment(run_every=every)
        def panel() -> None:
            runs[0] += 1
            current = self.job
            if every is not None and runs[0] > 1 and not 0.5 < refresh_seconds() / every < 2:
                st.rerun()  # the room grew or emptied: run the page again to redraw at the new pace
            status_line(current, self.verb, cached=st.session_state.get(self.origin_slot) == "cached")
            if current is not None and current.is_terminal:
                self._keep(current)
                if st.session_state.get(self.origin_slot) == "history":
                    st.caption("📜 Reopened from the run history.")
            records = current.snapshot() if current else []
            by = frames.by_run(records) if empty is not None or reports is not None else {}
            drawn: list[dict] = []
            if empty is not None and not by:
                st.caption(empty)
            else:
                if reports is not None:
                    reports_caption(by, help=reports or None)
                with charts.collect() as drawn:
                    draw(records, current)
            if export is not None and current is not None and current.is_terminal and records:
                # once the job has ended: while live, the buttons would be sent again every tick
                left, right, rest = st.columns([1, 1, 3], vertical_alignment="center")
                with left:
                    self._csv_button(current, *export)
                if drawn:
                    with right:
                        charts.export_menu(export[0], drawn, key=f"{self.key}_charts")
                with rest:
                    self._code_button(current, export[0], no_script)
            if live and current is not None and current.is_terminal and runs[0] > 1:
                # stop refreshing and draw the final state once; never from the inline first run,
                # whose rerun would cut short the page's own run (the next tick comes soon)
                st.rerun()

        panel()

    def _csv_button(self, job: jobs.Job, name: str, table: export_.Table) -> None:
        def data() -> str:  # called when pressed, in a thread of Streamlit's own: no st.* here
            return export_.csv_text(table, [(job.config, job.snapshot())])

        charts.csv_button(f"{name}.csv", data, key=f"{self.key}_csv",
                          help="every report of every run as a row, as the table behind the charts has it")

    def _code_button(self, job: jobs.Job, name: str, no_script: str | None) -> None:
        """"Get the code": the runs as a standalone PyTorch script (core.script), made when
        pressed; where none is offered, a line saying why (`no_script`: what the view is)."""
        write = None if no_script or job.config is None else labs.script_of(job.config)
        if write is None:
            charts.no_script_note(no_script, reason=labs.no_script_reason(job.config))
            return
        config = job.config
        st.download_button("Get the code", data=lambda: write(config), file_name=f"{name}.py", mime="text/x-python",
                           on_click="ignore", key=f"{self.key}_code",
                           help="these runs as a plain PyTorch script: the same data, weights, batches and "
                                "per-epoch figures, every setting spelled out")


def reopen(panel: str, job: jobs.Job) -> None:
    """Show `job` (a finished run from the history) in the live panel named `panel`, as if it had
    just been run there: the lab's page then draws it with its own charts."""
    st.session_state[f"{panel}_job"] = job
    st.session_state[f"{panel}_config"] = job.config
    st.session_state[f"{panel}_origin"] = "history"


def refresh_seconds() -> float:
    """How often a live panel redraws: twice a second, slower when many visitors watch live runs,
    so that all their redraws together stay within $DYNAMICS_TICKS_PER_SECOND (8) a second.

    Each redraw of the race costs the server some 30 ms of interpreter time, shared with
    training, and the watching browser about 0.1 s of its CPU (on a small cloud machine), new
    records or not. A fragment's interval is fixed when the page runs (at Run and at a job's
    end); a panel whose room has since grew or emptied twofold runs its page again. The count is
    of sessions that redrew a live panel in the last ten seconds.
    """
    budget = float(os.environ.get(TICKS_ENV, "8"))
    return max(REFRESH_SECONDS, watching() / budget)


_WATCHING: dict[str, float] = {}  # session id -> when its live panel last redrew (process-wide)
_watch_lock = threading.Lock()


def watching(within: float = 10.0) -> int:
    """Sessions whose live panel redrew in the last `within` seconds, this one included."""
    now = time.monotonic()
    ctx = get_script_run_ctx()
    with _watch_lock:
        if ctx is not None:
            _WATCHING[ctx.session_id] = now
        for sid in [s for s, t in _WATCHING.items() if now - t > within]:
            del _WATCHING[sid]
        return len(_WATCHING)


def status_line(job: jobs.Job | None, verb: str = "Training", *, cached: bool = False) -> None:
    if job is None:
        return
    recs = job.records
    badge(job, cached)
    run_caption(job)
    if job.status == "queued":
        st.info(queue_text(job.position, job.starts_in))
    elif job.status == "running":
        last = recs[-1] if recs else {}
        if last.get("kind") == "download":
            total = f" of {last['total'] / 1e6:.1f}" if last.get("total") else ""
            progress_text(f"Downloading {last['dataset']}: {last['bytes'] / 1e6:.1f}{total} MB")
        else:
            eta = job.eta
            eta_text = f", about {eta:.0f} s left" if eta is not None else ""
            progress_text(f"{verb}: {job.progress:.0%}{eta_text}", job.progress)
    elif job.status == "done":
        st.success(f"Finished{_at(job)}.")
    elif job.status == "diverged":
        st.warning(f"Every run diverged: the loss became inf or NaN{_at(job)}.")
    elif job.status == "cancelled":
        st.info(f"Stopped{_at(job)}. The charts show everything measured up to the stop.")
    elif job.status == "failed":
        st.error(job.error or "The run failed.")


def _at(job: jobs.Job) -> str:
    """' at 14:03:07 after 46 reports': when the job ended (server time) and all it reported."""
    when = time.strftime(" at %H:%M:%S", time.localtime(job.finished)) if job.finished else ""
    return f"{when} after {len(job.records)} reports"


def run_caption(job: jobs.Job) -> None:
    """Which run is on show: its number and the settings in which it differs from the defaults."""
    if job.config is None:
        return
    changed = [f"{k}={v}" for k, v in C.changed(job.config).items()]
    st.caption(f"Run {job.id}: " + (", ".join(changed) if changed else "the default settings"),
               help="The settings of the run these charts show, as in a link; the widgets above may have moved since.")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test runner swaps it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def log_jobs() -> None:
    """Each job's end, logged to the server's stderr (once per process)."""
    logger = logging.getLogger("core")
    if not logger.handlers:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def progress_text(text: str, share: float | None = None, width: int = 24) -> None:
    """A progress line drawn as text. (st.progress animates every change: in a panel redrawn
    twice a second it cost each watching browser about as much as the rest of the redraw.)"""
    bar = "" if share is None else "█" * round(width * min(1.0, share)) + "░" * (width - round(width * min(1.0, share)))
    st.markdown(f"⏳ {text} &nbsp; `{bar}`" if bar else f"⏳ {text}")


def queue_text(position: int, starts_in: float | None) -> str:
    """'Waiting in line: position 2. Your run starts in about 40 s.' (the estimate when there is one)."""
    when = (f"in about {_duration(starts_in)}, when the runs ahead finish" if starts_in is not None else
            "when the runs ahead finish")
    return f"Waiting in line: position {position}. Your run starts {when}."


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"


def badge(job: jobs.Job, cached: bool) -> None:
    """Say when the run on show is not this visitor's alone: identical settings share one run."""
    others = job.holders - 1
    if cached:
        st.caption("⚡ **Cached**: an identical run had already finished, so its results are shown at once.",
                   help="Identical settings (every field, the seed included) give identical numbers.")
    elif others > 0 and not job.is_terminal:
        who = "1 other visitor" if others == 1 else f"{others} other visitors"
        st.caption(f"👥 **Shared with {who}**: identical settings join one run instead of training it again.",
                   help="Stop leaves it running for the others; it stops when the last one stops it.")


def status_icon(records: list[dict]) -> str:
    return STATUS_ICON.get(records[-1].get("status"), "⏳") if records else "⏳"


def reports_caption(by_run: dict[str, list[dict]], help: str | None = None) -> None:
    """'N reports so far': shows the charts are growing (and lets browser tests see it)."""
    st.caption(f"{sum(len(recs) for recs in by_run.values())} reports so far", help=help)
