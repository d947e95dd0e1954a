"""Headless runner.

    python -m core list
    python -m core run NAME[.PART] --set field=value ... [--json FILE] [--csv FILE] [--script FILE] [--ray]

NAME is a lab (`list` shows them); PART one of its other runs, e.g. `schedules.finder` for the
range test. `--set` takes a config field and its value written as in a link. A bad name or value
exits with code 2 and a message naming what is valid.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, Callable, Sequence

from core import config as C
from core import cluster, device
from core import export, labs, upload


def _list() -> int:
    for lab in labs.all_labs():
        print(f"{lab.name}: {lab.title} - {lab.summary}")
        for part, cls in [("", lab.config), *((f".{n}", p.config) for n, p in lab.parts.items())]:
            if part:
                print(f"  {lab.name}{part}: {lab.parts[part[1:]].title}, its own fields:")
            own = {f.name for f in dataclasses.fields(cls)} - (
                {f.name for f in dataclasses.fields(lab.config)} if part else set())
            for row in C.describe(cls):
                if row["name"] not in own:
                    continue
                limits = f" [{row['limits']}]" if row["limits"] else ""
                valid = [str(c) for c in row["choices"] or []]
                if len(valid) > 16:
                    valid = [*valid[:3], "…", valid[-1]]
                choices = f" {{{', '.join(valid)}}}" if valid else ""
                print(f"  {row['name']} ({row['type']}) = {row['default']}{limits}{choices}  {row['help']}")
    return 0


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes field=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def resolve(name: str) -> tuple[type, Callable]:
    """'lab' or 'lab.part' -> (config class, run)."""
    lab_name, _, part = name.partition(".")
    lab = labs.get(lab_name)
    if part:
        p = lab.part(part)
        return p.config, p.run
    return lab.config, lab.run


def rows(name: str) -> Callable[[list[dict]], Any]:
    """The CSV rows of 'lab' (its own table) or 'lab.part' (every record flat)."""
    lab_name, _, part = name.partition(".")
    return labs.rows(labs.get(lab_name), part)


def _line(rec: dict, name: str) -> str:
    if rec.get("kind") == "finder":
        return f"[{rec['progress']:4.0%}] lr {rec['lr']:.3g}: loss {rec['loss']:.4f}, smoothed {rec['smoothed']:.4f}"
    if rec.get("kind") == "where":
        return f"{rec['cells']} cells in {rec['where']}"
    if rec.get("kind") == "progress":  # a long computation's heartbeat: one line per thing computed
        return f"computing {rec.get('what', '')}" + (f" (view {rec['view']})" if rec.get("view") else "")
    if rec.get("view") and rec.get("kind") != "train":
        return f"[{rec.get('progress', 0):4.0%}] view {rec['view']}: {rec.get('kind')} {rec.get('checkpoint', '')}".rstrip()
    line = f"[{rec.get('progress', 0):4.0%}] {rec.get('run', rec.get('combo', name))}"
    if rec.get("epoch") is not None:
        line += f": epoch {rec['epoch']:g}"
    if rec.get("suggestions"):
        line += " suggested: " + ", ".join(f"{k} {v:.3g}" for k, v in rec["suggestions"].items())
    if rec.get("val_acc") is not None:
        line += f" val_acc {rec['val_acc']:.3f} val_loss {rec['val_loss']:.4f}"
    if rec.get("status") not in (None, "running"):
        line += f" -> {rec['status']}: {rec.get('message', '')}"
    return line


def _script(name: str, config: Any, path: str) -> None:
    write = labs.script_of(config)
    if write is None:
        raise ValueError(f"no standalone script is offered for {name}: {labs.no_script_reason(config)}")
    with open(path, "w") as f:
        f.write(write(config))
    print(f"wrote {path}")


def _run(name: str, sets: Sequence[str], json_path: str | None, csv_path: str | None = None,
         script_path: str | None = None, ray: bool = False) -> int:
    device.configure_threads()  # the app's own thread count: the same config gives the app's numbers
    cls, run = resolve(name)
    config = C.from_strings(cls, upload.resolve(_parse_sets(sets)))  # dataset=csv:PATH[#LABEL] is read here
    if script_path:
        _script(name, config, script_path)
        if not (json_path or csv_path):  # the script alone needs no training
            return 0
    if ray:  # $RAY_ADDRESS's cluster, else a local instance: the labs that can use Ray (sweeps) will
        print(f"on {cluster.connect().describe()}", file=sys.stderr)
    runs: dict[str, dict[str, Any]] = {}
    records: list[dict] = []
    last_line = ""
    for rec in run(config):
        if not isinstance(rec, dict):  # an artifact (trained weights): for the page's later views
            continue
        records.append(rec)
        if rec.get("kind") == "download":
            print(f"downloading {rec['dataset']}: {rec['bytes'] / 1e6:.1f} MB", file=sys.stderr)
            continue
        label = rec.get("run", rec.get("combo", name))
        entry = runs.setdefault(label, {"run": label, "status": "running", "records": []})
        entry["records"].append(rec)
        entry["status"], entry["message"] = rec.get("status", "done"), rec.get("message", "")
        line = _line(rec, name)
        if line != last_line:
            print(line, flush=True)
            last_line = line
    if not name.partition(".")[2] and records:
        print(labs.get(name).headline(records))
    if json_path:
        out = {"experiment": name, "config": dataclasses.asdict(config), "settings": C.to_strings(config),
               "runs": list(runs.values())}
        with open(json_path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {json_path}")
    if csv_path:
        with open(csv_path, "w", newline="") as f:
            f.write(export.csv_text(rows(name), [(config, records)]))
        print(f"wrote {csv_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description="Run the dashboard's labs headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="labs with their fields, defaults and limits")
    run = sub.add_parser("run", help="run one lab (or one of its parts: NAME.PART)")
    run.add_argument("name", help="lab name, or lab.part (see list)")
    run.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                     help="set a config field; dataset=csv:PATH[#LABEL] trains on a CSV (label: its last column)")
    run.add_argument("--json", metavar="FILE", help="write the config and every run's records here")
    run.add_argument("--csv", metavar="FILE", help="write the records here as CSV, one row per report per run")
    run.add_argument("--script", metavar="FILE", help="write a standalone PyTorch script of the runs here "
                     "(without training, unless --json or --csv asks for records too)")
    run.add_argument("--ray", action="store_true", help="run on Ray where the lab can (lr_sweep): the cluster at "
                     "$RAY_ADDRESS (which is used even without --ray), else a local instance")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    try:
        return _run(args.name, args.set, args.json, args.csv, args.script, args.ray)
    except ValueError as exc:  # bad name or value: the message names what is valid
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
