"""The lab contract: everything about a lab, named in one registry entry.

From the registry come the app's navigation, the home page's list, `python -m core list/run`,
the pages the AppTests and browser tests open, and the contract test run over every lab.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

import pandas as pd

from core.registry import Registry

Stop = Callable[[], bool]
Run = Callable[..., Iterator[Any]]  # run(config, stop) -> records (dicts) and jobs.Artifact objects
ROOT = Path(__file__).resolve().parents[2]  # the project root


@dataclass(frozen=True)
class Part:
    """A second thing a lab runs besides its training (the range test, a measurement): its own
    config class (fields that share a name with the lab's config are one setting) and run."""

    title: str
    config: type
    run: Run
    lane: str = "train"  # jobs lane: "train", or "quick" for analyses that take seconds
    script: Callable[[Any], str] | None = None  # config -> standalone PyTorch script; None: not offered
    no_script: str = "it is not a training run"  # why, when no script is offered


@dataclass(frozen=True)
class Preset:
    """A textbook experiment the lab reproduces, one entry of the page's presets menu."""

    title: str  # the menu entry, naming the experiment
    description: str  # one line: what the person will see
    settings: Mapping[str, Any]  # setting name -> value, as the config takes it; the rest keep theirs
    # settings that depend on this machine (e.g. the dataset: Fashion-MNIST when it is cached),
    # chosen when the preset is applied rather than when the app starts
    choose: Callable[[], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))  # frozen all the way down

    def values(self) -> dict[str, Any]:
        """Every setting the preset applies, its chosen ones included."""
        return {**self.settings, **(self.choose() if self.choose else {})}


def presets(*items: Preset) -> dict[str, Preset]:
    """Title -> preset, in the order the menu offers them."""
    out = {p.title: p for p in items}
    if len(out) != len(items):
        raise ValueError("two presets share a title")
    return out


@dataclass(frozen=True)
class Lab:
    name: str  # registry key, CLI name
    title: str  # page title and navigation label
    icon: str  # navigation icon (an emoji)
    summary: str  # one line: what the lab shows
    url_path: str  # the page's address: /url_path
    config: type  # frozen dataclass of the lab's run, validated in __post_init__
    run: Run  # run(config, stop) -> records
    screen: str  # the page script, relative to the project root
    smoke: dict[str, str]  # fields (as text) of a run that ends in a second or two
    table: Callable[[list[dict]], pd.DataFrame]  # records -> one row per report per run, CSV-ready
    headline: Callable[[list[dict]], str]  # records -> the run's key result in one line
    script: Callable[[Any], str] | None = None  # config -> standalone PyTorch script; None: not offered
    no_script: str = "it is not a training run"  # why, when no script is offered
    parts: dict[str, Part] = field(default_factory=dict)  # other runnable things, by name
    view: type | None = None  # settings of what is drawn (no run): in links, never in job keys
    lane: str = "train"  # jobs lane of the main run
    presets: Mapping[str, Preset] = field(default_factory=dict)  # title -> the experiments the page offers

    @property
    def screen_file(self) -> Path:
        """The page script's absolute path: whichever file Streamlit runs as main (app.py, or the
        Community Cloud entry in cloud/), a page named by it is found."""
        return ROOT / self.screen

    def classes(self) -> list[type]:
        """Every config class of the lab: the run's, its parts', the view's."""
        return [self.config, *(p.config for p in self.parts.values()), *([self.view] if self.view else [])]

    def fields(self) -> dict[str, Any]:
        """Setting name -> its dataclass field, over every class (the first declaration wins)."""
        out: dict[str, Any] = {}
        for cls in self.classes():
            for f in fields(cls):
                out.setdefault(f.name, f)
        return out

    def preset(self, title: str) -> Preset:
        if title not in self.presets:
            raise ValueError(f"lab {self.name!r} has no preset {title!r}; presets: {', '.join(self.presets) or 'none'}")
        return self.presets[title]

    def part(self, name: str) -> Part:
        if name not in self.parts:
            raise ValueError(f"lab {self.name!r} has no part {name!r}; parts: {', '.join(self.parts) or 'none'}")
        return self.parts[name]


LABS: Registry[Lab] = Registry("lab")


def never() -> bool:
    return False
