"""A room on one machine: the app served on 127.0.0.1 and many Chromium sessions, for the load
test (tests/load/) and the room and soak benchmarks.

On two or more cores the server is pinned to the first core and the browsers to the others
(`taskset` / sched_setaffinity), so the browsers' own rendering does not count against the
server. Resident memory is read from /proc: the server is one process, and VmHWM is its peak.
"""
from __future__ import annotations

import contextlib
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
JOB_LINE = re.compile(r"^(\S+ \S+) INFO core.jobs: job (\d+) \((\w+)\) (\w+): (\d+) records, "
                      r"waited ([\d.]+) s, ran ([\d.]+) s", re.M)


def cores() -> tuple[set[int], set[int]] | None:
    """(server cores, browser cores) when the server can have a core of its own, else None."""
    mine = sorted(os.sched_getaffinity(0))
    return ({mine[0]}, set(mine[1:])) if len(mine) >= 2 and shutil.which("taskset") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on 127.0.0.1 with extra environment; its log kept in `log_path`."""

    def __init__(self, log_path: Path, env: dict[str, str] | None = None, pin: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        split = cores() if pin else None
        prefix = ["taskset", "-c", ",".join(map(str, sorted(split[0])))] if split else []
        self.pinned = split is not None
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(self.port), "--server.headless", "true"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    def wait_ready(self, timeout: float = 90) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the app did not start on {self.url}; see {self.log_path}")

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        rss, peak = (int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M)[1]) / 1024 for key in ("VmRSS", "VmHWM"))
        return rss, peak

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def jobs(self) -> dict[int, dict]:
        """Every job that ended, from the server's log: id -> label, status, records, waited and
        ran (seconds), ended (epoch seconds)."""
        out = {}
        for m in JOB_LINE.finditer(self.log_path.read_text()):
            ended = datetime.datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out[int(m[2])] = {"label": m[3], "status": m[4], "records": int(m[5]),
                              "waited": float(m[6]), "ran": float(m[7]), "ended": ended}
        return out

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()

    def __enter__(self) -> "Server":
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A Chromium browser (Playwright), on the cores the server does not use."""
    from playwright.sync_api import sync_playwright

    split, before = cores(), os.sched_getaffinity(0)
    if split:  # the driver and the browsers it starts inherit this process's cores
        os.sched_setaffinity(0, split[1])
    try:
        with sync_playwright() as p:
            os.sched_setaffinity(0, before)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        os.sched_setaffinity(0, before)


def new_page(browser, url: str):
    """A page at `url`: in a context of its own when given the browser, else in the context given."""
    page = (browser.new_context(viewport={"width": 1400, "height": 1000}) if hasattr(browser, "new_context")
            and not hasattr(browser, "browser") else browser).new_page()
    page.set_default_navigation_timeout(180_000)  # many pages load at once on one core
    page.goto(url)
    return page


def press(page, label: str, timeout_ms: float = 120_000) -> None:
    button = page.get_by_role("button", name=label, exact=True)
    button.wait_for(timeout=timeout_ms)
    button.click()


ENDED = re.compile(r"^(Finished|Stopped|Every run diverged.*) at (\d\d:\d\d:\d\d) after (\d+) reports")


def wait_end(page, timeout_ms: float = 240_000) -> tuple[float, str, int]:
    """Wait for the live panel's final line; (when this visitor saw it, the server's end time
    HH:MM:SS, the number of records it says)."""
    line = page.get_by_text(ENDED).first
    line.wait_for(timeout=timeout_ms)
    seen = time.time()
    m = ENDED.search(line.inner_text())
    return seen, m[2], int(m[3])


def run_number(page) -> int:
    """The number of the run on show, from its 'Run N: settings' caption."""
    caption = page.get_by_text(re.compile(r"^Run \d+: ")).first
    caption.wait_for(timeout=120_000)
    return int(re.match(r"Run (\d+)", caption.inner_text())[1])


WATCH = """() => {
  if (window.__seen) return;
  window.__seen = {};
  const marks = {queued: /Waiting in line: position \\d+/, busy: /The server is busy/,
                 ended: /(Finished|Stopped|Every run diverged)[^]*? at \\d\\d:\\d\\d:\\d\\d after (\\d+) reports/};
  const check = () => {
    const text = document.body.textContent;
    for (const [name, re] of Object.entries(marks)) {
      const m = !window.__seen[name] && text.match(re);
      if (m) window.__seen[name] = {t: Date.now() / 1000, text: m[0], n: m[2] ? parseInt(m[2]) : null};
    }
  };
  setInterval(check, 200);
  check();
}"""


def watch(page) -> None:
    """Note in the page, from now on, when it first shows its place in line, 'busy' and its
    run's end (read back with `seen`), so a test can do other things meanwhile."""
    page.evaluate(WATCH)


def seen(page, name: str, timeout_ms: float = 240_000) -> dict | None:
    """What `watch` noted for `name` ('queued', 'busy', 'ended'): {t: epoch seconds when it
    appeared, text, n: the records it says (ended)}; waits up to `timeout_ms` for 'ended'."""
    if name == "ended":
        page.wait_for_function("() => window.__seen && window.__seen.ended", timeout=timeout_ms)
    return page.evaluate(f"() => window.__seen && window.__seen.{name} || null")


class Session:
    """A visitor without a browser: one Streamlit session driven over the app's own websocket
    protocol (what the page's JavaScript sends), for crowds larger than one core can render.
    The server runs the same page script, widgets and queue for it as for a browser; it sees
    each run's text (markdown, captions, alerts) and presses buttons by their label."""

    def __init__(self, server: Server, page: str, query: str = "") -> None:
        from websockets.sync.client import connect

        self.page, self.query = page, query
        self._ws = connect(f"ws://127.0.0.1:{server.port}/_stcore/stream", subprotocols=["streamlit"],
                           origin=server.url, open_timeout=60, max_size=None)
        self.texts: list[str] = []
        self.buttons: dict[str, str] = {}  # label -> widget id, from the latest run
        self.refresh: tuple[str, float] | None = None  # (fragment id, seconds) the server asked to rerun
        self.page_hash = ""
        self.longest = 0.0  # the longest interval between redraws the server asked for
        self.run()

    def run(self, press: str | None = None, fragment: str | None = None, timeout: float = 120) -> list[str]:
        """Run the page (pressing the button labelled `press`), or only its `fragment` as the
        browser's timer does, until the script finishes; the texts it drew."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        if press is not None:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id, state.trigger_value = self.buttons[press], True
        if self.page_hash:  # as the browser does: the page by name at first, then by its hash
            msg.rerun_script.page_script_hash = self.page_hash
        else:
            msg.rerun_script.page_name = self.page
        if fragment is None:
            self.refresh = None  # a whole run: its live panel asks anew
        else:
            msg.rerun_script.fragment_id, msg.rerun_script.is_auto_rerun = fragment, True
        self._ws.send(msg.SerializeToString())
        return self._receive(timeout)

    def _receive(self, timeout: float) -> list[str]:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.texts, self.buttons = [], {}
        end = time.time() + timeout
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(self._ws.recv(timeout=max(0.1, end - time.time())))
            kind = fwd.WhichOneof("type")
            if kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self.texts, self.buttons, self.refresh = [], {}, None  # the page runs again
                    continue
                return self.texts
            if kind == "navigation":  # the page this run drew, as the browser learns it
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "auto_rerun":
                self.refresh = (fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval)
                self.longest = max(self.longest, fwd.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                self.refresh = None
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "button":
                    self.buttons[element.button.label] = element.button.id
                elif which in ("markdown", "alert"):
                    self.texts.append(getattr(element, which).body)

    def watch(self, until: re.Pattern, timeout: float = 240) -> tuple[float, str]:
        """Rerun the live panel whenever the server asked for it, as the browser's timer does,
        until a run shows `until`; (when it was seen, the text). A fragment that ends its job
        runs the whole page again on the server: its messages come without being asked."""
        end = time.time() + timeout
        while not (text := self.shows(until)):
            assert time.time() < end, f"not seen within {timeout} s: {until.pattern}"
            if self.refresh is None:  # no timer: what the server sends next (a full rerun)
                self._receive(max(0.1, end - time.time()))
                continue
            fragment, interval = self.refresh
            time.sleep(interval)
            self.run(fragment=fragment)
        return time.time(), text

    def shows(self, pattern: re.Pattern) -> str | None:
        return next((t for t in self.texts if pattern.search(t)), None)

    def close(self) -> None:
        self._ws.close()
