"""Headless runner.

    python -m core list
    python -m core run NAME --set key=value ... [--json FILE]

A bad name or value exits with code 2 and a message naming what is valid.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Sequence

from core import experiments
from core.experiments import base


def _list() -> int:
    for name in experiments.names():
        exp = experiments.get(name)
        print(f"{name}: {exp.title} - {exp.summary}")
        for row in base.describe(exp.config):
            limits = f" [{row['limits']}]" if row["limits"] else ""
            choices = f" {{{', '.join(map(str, row['choices']))}}}" if row["choices"] else ""
            print(f"  {row['name']} ({row['type']}) = {row['default']!r}{limits}{choices}  {row['help']}")
    return 0


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _run(name: str, sets: Sequence[str], json_path: str | None) -> int:
    exp = experiments.get(name)
    config = base.from_strings(exp.config, _parse_sets(sets))
    runs: dict[str, dict] = {}
    last_line = ""
    for rec in exp.run(config):
        if rec.get("kind") == "download":
            print(f"downloading {rec['dataset']}: {rec['bytes'] / 1e6:.1f} MB", file=sys.stderr)
            continue
        if rec.get("kind") == "model":  # trained weights for a page's later views, not a measurement
            continue
        run = runs.setdefault(rec.get("run", name), {"run": rec.get("run", name), "status": "running", "records": []})
        run["records"].append(rec)
        run["status"], run["message"] = rec.get("status", "done"), rec.get("message", "")
        line = f"[{rec.get('progress', 0):4.0%}] {run['run']}: epoch {rec.get('epoch', 0):g}"
        if rec.get("kind") == "finder":
            line = f"[{rec['progress']:4.0%}] lr {rec['lr']:.3g}: loss {rec['loss']:.4f}, smoothed {rec['smoothed']:.4f}"
        if rec.get("suggestions"):
            line += " suggested: " + ", ".join(f"{k} {v:.3g}" for k, v in rec["suggestions"].items())
        if rec.get("val_acc") is not None:
            line += f" val_acc {rec['val_acc']:.3f} val_loss {rec['val_loss']:.4f}"
        if rec.get("status") not in (None, "running"):
            line += f" -> {rec['status']}: {rec.get('message', '')}"
        if line != last_line:
            print(line, flush=True)
            last_line = line
    if json_path:
        out = {"experiment": name, "config": dataclasses.asdict(config), "runs": list(runs.values())}
        with open(json_path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {json_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description="Run the dashboard's experiments headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="experiments with their fields, defaults and limits")
    run = sub.add_parser("run", help="run one experiment")
    run.add_argument("name", help="experiment name (see list)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="set a config field")
    run.add_argument("--json", metavar="FILE", help="write the config and every run's records here")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    try:
        return _run(args.name, args.set, args.json)
    except ValueError as exc:  # bad name or value: the message names what is valid
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
