"""The server's resident memory: at start, with the first visitor, and after one run of each lab.

    python -m benchmarks.bench_memory [--json FILE]

One visitor opens the home page, then every lab in the registry at its default settings and
presses the lab's main button (the variance lab measures as soon as it opens), waiting for the run
to end (the dropout lab's MC view included). The server's resident memory (VmRSS) is printed
after each step, and its peak (VmHWM) at the end.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks import room
from core import labs

BUTTONS = {"activations": "Run", "variance": None, "vanishing": "Run", "optimizer_race": "Race",
           "schedules": "Train", "dropout": "Train", "landscape": "Train",
           "deepnet": "Run", "transfer": "Train", "lr_sweep": "Sweep"}  # the lab's main button; None: it runs on opening


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    steps: dict[str, float] = {}
    with room.Server(Path(tempfile.mkdtemp()) / "server.log") as server, room.chromium() as browser:
        steps["started"] = server.memory_mb()[0]
        page = room.new_page(browser, server.url + "/")
        page.get_by_role("heading", name="Training dynamics").wait_for(timeout=120_000)
        steps["home page"] = server.memory_mb()[0]
        for lab in labs.all_labs():
            page.goto(f"{server.url}/{lab.url_path}")
            button = BUTTONS[lab.name]
            if button:
                room.press(page, button)
            if lab.name == "dropout":
                page.get_by_text("Images to inspect").wait_for(timeout=600_000)  # the MC view, after training
            elif lab.name == "variance":
                page.get_by_text("What the numbers say").wait_for(timeout=600_000)
            else:
                room.wait_end(page, timeout_ms=600_000)
            steps[lab.name] = server.memory_mb()[0]
            print(f"after {lab.name}: {steps[lab.name]:.0f} MB", flush=True)
        peak = server.memory_mb()[1]
    out = {"resident_mb": steps, "peak_mb": peak}
    print("server resident memory (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in steps.items()) + f"; peak {peak:.0f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
