"""The lab registry: one entry per lab, in the order the app lists them.

A lab is a folder here holding its config, run, tables and charts, whose `__init__` defines
`LAB`, and a screen under app_pages/. Adding its name below is all it takes for the app's
navigation, the home page, the command line and the tests to know it.
"""
from __future__ import annotations

import importlib

from core.labs.base import LABS, Lab, Part

for _name in ("activations", "variance", "vanishing", "optimizer_race", "schedules", "dropout", "landscape", "deepnet", "transfer"):
    _lab = importlib.import_module(f"core.labs.{_name}").LAB
    LABS.add(_lab.name, _lab)

__all__ = ["LABS", "Lab", "Part", "get", "names", "all_labs"]


def get(name: str) -> Lab:
    return LABS.get(name)


def names() -> list[str]:
    return LABS.names()


def all_labs() -> list[Lab]:
    return [lab for _, lab in LABS.items()]
