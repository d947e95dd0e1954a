"""A room in front of one server: one visitor's race alone, then with 8 others watching it.

    python -m benchmarks.bench_room [--watchers 8] [--epochs 15] [--json FILE]

The app is served on 127.0.0.1 (pinned to one core where there are two or more; the Chromium
sessions get the others, see benchmarks/room.py). A warm-up race loads the data and the imports
first. Then, on the race lab (SGD and Adam, --epochs epochs on digits):

  alone        one visitor presses Race; seconds until its page says the run finished.
  watched      a new run, pressed by one visitor while --watchers others have the same settings
               open and press Race too (so they watch the one shared run); the same seconds, for
               the first visitor. A newcomer opens the home page a second after the press:
               seconds until its heading shows.

Printed: both times and their ratio (target at most 1.5), the training's own seconds in both
(from the server's log) and their ratio, the newcomer's page load (target under 5 s) in Chromium
and the server's part of it (the first run of a session opened over the app's websocket
protocol, without a browser), and the server's resident memory: at start, after the warm-up,
and its peak (VmHWM). With two cores, the nine Chromium pages share one: the browser-side times
then measure that core more than the server.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks import room


def _race(browser, server: room.Server, link: str, watchers: int = 0) -> dict:
    """Press Race on `link` (with `watchers` more sessions pressing it too); the seconds until
    the first visitor sees the end, the newcomer's page load, and the job's own seconds."""
    pages = [room.new_page(browser, link) for _ in range(1 + watchers)]
    for page in pages:
        page.get_by_role("button", name="Race", exact=True).wait_for(timeout=180_000)
    time.sleep(2)  # let the pages settle
    start = time.time()
    room.press(pages[0], "Race")
    for page in pages[1:]:
        room.press(page, "Race")
    newcomer = served = None
    if watchers:
        time.sleep(max(0.0, 1 - (time.time() - start)))
        t = time.time()
        room.Session(server, "").close()  # the server's part of a newcomer's page: its first run
        served = time.time() - t
        t = time.time()
        home = browser.new_context().new_page()
        home.set_default_navigation_timeout(180_000)
        home.goto(server.url + "/")
        home.get_by_role("heading", name="Training dynamics").wait_for(timeout=180_000)
        newcomer = time.time() - t
        home.context.close()
    seen, _, _ = room.wait_end(pages[0])
    number = room.run_number(pages[0])
    for page in pages:
        page.context.close()
    time.sleep(1)
    job = server.jobs()[number]
    return {"seconds": seen - start, "training_seconds": job["ran"], "newcomer_seconds": newcomer,
            "newcomer_served_seconds": served}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--watchers", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    log = Path(tempfile.mkdtemp()) / "server.log"

    def link(server: room.Server, seed: int) -> str:
        return f"{server.url}/race?optimizers=sgd,adam&epochs={args.epochs}&seed={seed}"

    with room.Server(log) as server, room.chromium() as browser:
        idle = server.memory_mb()[0]
        warm = room.new_page(browser, f"{server.url}/race?optimizers=sgd&epochs=1&seed=99")
        room.press(warm, "Race")
        room.wait_end(warm)
        warm.context.close()
        warmed = server.memory_mb()[0]
        alone = _race(browser, server, link(server, 1))
        watched = _race(browser, server, link(server, 2), args.watchers)
        now, peak = server.memory_mb()
    out = {"pinned": server.pinned, "watchers": args.watchers, "epochs": args.epochs,
           "alone": alone, "watched": watched, "ratio": watched["seconds"] / alone["seconds"],
           "training_ratio": watched["training_seconds"] / alone["training_seconds"],
           "memory_mb": {"idle": idle, "after_warm_up": warmed, "end": now, "peak": peak}}
    print(f"server pinned to its own core: {server.pinned}")
    print(f"one visitor's race alone:          {alone['seconds']:5.1f} s (training {alone['training_seconds']:.1f} s)")
    print(f"... with {args.watchers} watching:              {watched['seconds']:5.1f} s "
          f"(training {watched['training_seconds']:.1f} s)   ratio {out['ratio']:.2f} (target <= 1.5)")
    print(f"... the training itself:            ratio {out['training_ratio']:.2f} (the server's share of the slowdown)")
    print(f"newcomer's home page under load:   {watched['newcomer_seconds']:5.1f} s in Chromium (target < 5), "
          f"{watched['newcomer_served_seconds']:.2f} s for the server to run it")
    print("server resident memory: idle {idle:.0f} MB, after the warm-up {after_warm_up:.0f} MB, "
          "peak {peak:.0f} MB".format(**out["memory_mb"]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
