"""The lab registry: one entry per lab, in the order the app lists them.

A lab is a folder here holding its config, run, tables and charts, whose `__init__` defines
`LAB`, and a screen under app_pages/. Adding its name below is all it takes for the app's
navigation, the home page, the command line and the tests to know it.
"""
from __future__ import annotations

import importlib
from typing import Callable

from core.labs.base import LABS, Lab, Part

for _name in ("activations", "variance", "vanishing", "optimizer_race", "schedules", "dropout", "landscape", "deepnet", "transfer"):
    _lab = importlib.import_module(f"core.labs.{_name}").LAB
    LABS.add(_lab.name, _lab)

__all__ = ["LABS", "Lab", "Part", "get", "names", "all_labs", "script_of", "no_script_reason"]


def get(name: str) -> Lab:
    return LABS.get(name)


def names() -> list[str]:
    return LABS.names()


def all_labs() -> list[Lab]:
    return [lab for _, lab in LABS.items()]


def script_of(config: object) -> Callable[[object], str] | None:
    """The script writer of the lab or part whose config `config` is (None: none offered, or
    `config` is no lab's or part's, e.g. a page's own analysis)."""
    owner = _owner(config)
    return owner.script if owner is not None else None


def no_script_reason(config: object) -> str:
    """Why the lab or part whose config `config` is offers no script."""
    owner = _owner(config)
    return owner.no_script if owner is not None else "it is not a training run"


def _owner(config: object) -> Lab | Part | None:
    for lab in all_labs():
        if type(config) is lab.config:
            return lab
        for part in lab.parts.values():
            if type(config) is part.config:
                return part
    return None
