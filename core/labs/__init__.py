"""The lab registry: one entry per lab, in the order the app lists them.

A lab is a folder here holding its config, run, tables and charts, whose `__init__` defines
`LAB`, and a screen under app_pages/. Adding its name below is all it takes for the app's
navigation, the home page, the command line and the tests to know it.
"""
from __future__ import annotations

import importlib
from typing import Callable

from core import frames
from core.labs.base import LABS, Lab, Part

for _name in ("activations", "variance", "vanishing", "optimizer_race", "lr_sweep", "schedules", "dropout", "landscape", "deepnet", "transfer"):
    _lab = importlib.import_module(f"core.labs.{_name}").LAB
    LABS.add(_lab.name, _lab)

__all__ = ["LABS", "Lab", "Part", "get", "names", "all_labs", "owner", "rows", "script_of", "no_script_reason"]


def get(name: str) -> Lab:
    return LABS.get(name)


def names() -> list[str]:
    return LABS.names()


def all_labs() -> list[Lab]:
    return [lab for _, lab in LABS.items()]


def owner(config: object) -> tuple[Lab, str] | None:
    """(the lab, its part: "" for the main run) whose config class `config` is an instance of;
    None for a config of no lab or part (an analysis a page starts by itself)."""
    for lab in all_labs():
        if type(config) is lab.config:
            return lab, ""
        for name, part in lab.parts.items():
            if type(config) is part.config:
                return lab, name
    return None


def _runner(config: object) -> Lab | Part | None:
    found = owner(config)
    return None if found is None else found[0].part(found[1]) if found[1] else found[0]


def script_of(config: object) -> Callable[[object], str] | None:
    """The script writer of the lab or part whose config `config` is (None: none offered, or
    `config` is no lab's or part's, e.g. a page's own analysis)."""
    runner = _runner(config)
    return runner.script if runner is not None else None


def no_script_reason(config: object) -> str:
    """Why the lab or part whose config `config` is offers no script."""
    runner = _runner(config)
    return runner.no_script if runner is not None else "it is not a training run"


def rows(lab: Lab, part: str = "") -> Callable[[list], object]:
    """Records -> CSV rows: the lab's own table for its main run, every record flat for a part."""
    return frames.flat if part else lab.table
