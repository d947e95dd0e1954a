"""A long workshop on one server: many runs one after another, and the server's resident memory.

    python -m benchmarks.bench_soak [--runs 50] [--warm-up 10] [--json FILE] [--check]

Each run is a new visitor (a new browser session, so sessions come and go as in a room) who
opens a lab with settings no one used before and presses its button, until the run ends. The labs
take turns: the optimizer race (SGD and Adam, 3 epochs) and the vanishing-gradients lab (two
configurations, 2 epochs), each with a new seed. The server's resident memory is read after every
run. Printed: resident memory after the warm-up runs, at the end and its peak, and the growth from
the warm-up to the end (target: at most 5%). `--check` exits 1 when the growth is over 5%.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks import room

LABS = [("race", "optimizers=sgd,adam&epochs=3", "Race"),
        ("vanishing", "runs=relu-he,selu-lecun&epochs=2", "Run")]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warm-up", type=int, default=10)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)

    rss: list[float] = []
    with room.Server(Path(tempfile.mkdtemp()) / "server.log") as server, room.chromium() as browser:
        idle = server.memory_mb()[0]
        for i in range(args.runs):
            path, query, button = LABS[i % len(LABS)]
            page = room.new_page(browser, f"{server.url}/{path}?{query}&seed={1000 + i}")
            room.press(page, button)
            room.wait_end(page)
            page.context.close()
            rss.append(server.memory_mb()[0])
            print(f"run {i + 1:3d} ({path}): resident {rss[-1]:.0f} MB", flush=True)
        peak = server.memory_mb()[1]
    warm = rss[min(args.warm_up, len(rss)) - 1]
    growth = rss[-1] / warm - 1
    out = {"runs": args.runs, "warm_up": args.warm_up, "idle_mb": idle, "after_warm_up_mb": warm,
           "end_mb": rss[-1], "peak_mb": peak, "growth": growth, "rss_mb": rss}
    print(f"resident memory: idle {idle:.0f} MB, after {args.warm_up} runs {warm:.0f} MB, after {args.runs} runs "
          f"{rss[-1]:.0f} MB (peak {peak:.0f} MB): growth {growth:+.1%} (target at most +5%)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    if args.check and growth > 0.05:
        sys.exit(1)
    return out


if __name__ == "__main__":
    main()
