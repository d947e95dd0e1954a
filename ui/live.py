"""The live-run panel: Run and Stop, queue place, progress with ETA, and a fragment that
redraws the page's charts from the job's records about twice a second while it trains."""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterator

import streamlit as st

from core import frames, jobs
from core.config import key as config_key

Draw = Callable[[list[dict], "jobs.Job | None"], None]
REFRESH_SECONDS = 0.5
STATUS_ICON = {"running": "⏳", "done": "🏁", "diverged": "💥", "cancelled": "⏹️", "early_stopped": "🏁"}  # status, not verdict


class LivePanel:
    def __init__(self, key: str, verb: str = "Training") -> None:
        self.name, self.verb = key, verb
        self.key = f"{key}_job"  # session-state slot holding this page's job handle
        self.config_slot = f"{key}_config"  # ...and the config that job runs
        self.origin_slot = f"{key}_origin"  # "cached" when an identical finished run was served at once

    @property
    def job(self) -> jobs.Job | None:
        return st.session_state.get(self.key)

    def starter(self, run: Callable[..., Iterator[Any]], config: Any, lane: str = "train") -> Callable[[], jobs.Job]:
        """A `start` for `controls`: submits run(config) (identical configs share one job) and
        remembers the config, so the charts keep describing the run while widgets move."""
        def start() -> jobs.Job:
            st.session_state[self.config_slot] = config
            return jobs.submit(functools.partial(run, config), label=self.name, lane=lane,
                               key=f"{run.__module__}.{run.__qualname__}:{config_key(config)}")
        return start

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

    def job_config(self, default: Any) -> Any:
        """The config of the job on show (`default` before the first run)."""
        return st.session_state.get(self.config_slot, default)

    def controls(self, start: Callable[[], jobs.Job] | None, *, label: str = "Run",
                 disabled_reason: str | None = None) -> None:
        """Run and Stop buttons. `start` submits the job; None (with a reason) disables Run."""
        job = self.job
        running = job is not None and not job.is_terminal
        left, right, _ = st.columns([1, 1, 4])
        if left.button(label, type="primary", key=f"{self.key}_run", disabled=start is None or running,
                       help=disabled_reason):
            try:
                self._hold(start())
            except jobs.QueueFull as exc:
                st.warning(f"The server is busy: {exc}.")
            except ValueError as exc:
                st.error(str(exc))
            st.rerun()
        if right.button("Stop", key=f"{self.key}_stop", disabled=not running):
            if not job.cancel():
                st.info("Others are watching this same run, so it goes on for them.")
            st.rerun()

    def show(self, draw: Draw, *, empty: str | None = None, reports: str | None = None) -> None:
        """Status line and the page's charts; live while the job runs. With `empty`, that caption
        stands in for the charts until the first training record; with `reports`, "N reports so
        far" (its help text) comes above them."""
        job = self.job
        live = job is not None and not job.is_terminal
        runs = [0]  # the fragment's runs: the first is inline, in the page's own run

        @st.fragment(run_every=REFRESH_SECONDS if live else None)
        def panel() -> None:
            runs[0] += 1
            current = self.job
            status_line(current, self.verb, cached=st.session_state.get(self.origin_slot) == "cached")
            records = current.snapshot() if current else []
            by = frames.by_run(records) if empty is not None or reports is not None else {}
            if empty is not None and not by:
                st.caption(empty)
            else:
                if reports is not None:
                    reports_caption(by, help=reports or None)
                draw(records, current)
            if live and current is not None and current.is_terminal and runs[0] > 1:
                # stop refreshing and draw the final state once; never from the inline first run,
                # whose rerun would cut short the page's own run (the next tick comes soon)
                st.rerun()

        panel()


def status_line(job: jobs.Job | None, verb: str = "Training", *, cached: bool = False) -> None:
    if job is None:
        return
    recs = job.records
    badge(job, cached)
    if job.status == "queued":
        st.info(queue_text(job.position, job.starts_in))
    elif job.status == "running":
        last = recs[-1] if recs else {}
        if last.get("kind") == "download":
            total = f" of {last['total'] / 1e6:.1f}" if last.get("total") else ""
            st.progress(0.0, text=f"Downloading {last['dataset']}: {last['bytes'] / 1e6:.1f}{total} MB")
        else:
            eta = job.eta
            eta_text = f", about {eta:.0f} s left" if eta is not None else ""
            st.progress(min(1.0, job.progress), text=f"{verb}: {job.progress:.0%}{eta_text}")
    elif job.status == "done":
        st.success("Finished.")
    elif job.status == "diverged":
        st.warning("Every run diverged: the loss became inf or NaN.")
    elif job.status == "cancelled":
        st.info("Stopped. The charts show everything measured up to the stop.")
    elif job.status == "failed":
        st.error(job.error or "The run failed.")


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
