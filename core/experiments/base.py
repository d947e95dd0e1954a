"""What every experiment shares: validated config fields, parsing from text, the registry.

A config field is declared with `param(default, help, lo=, hi=, choices=)`; `validate` checks
every field against its limits, so a URL, a script or the CLI cannot get past them.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterator

from core.registry import Registry

Choices = tuple[str, ...] | Callable[[], list[str]] | None


def param(default: Any, help: str, *, lo: float | None = None, hi: float | None = None,
          choices: Choices = None, item_choices: Choices = None) -> Any:
    """A config field with its meaning/unit (`help`), limits and valid choices."""
    meta = {"help": help, "lo": lo, "hi": hi, "choices": choices, "item_choices": item_choices}
    return field(default=default, metadata=meta)


def dataset_param(help: str = "dataset name") -> Any:
    from core import data  # late: data is heavy and only needed for the choices

    return param("digits", help, choices=data.names)


def seed_param() -> Any:
    return param(0, "seed for the split, the initial weights and the batch order", lo=0, hi=2**31 - 1)


def device_param() -> Any:
    from core import device

    return param("auto", "auto, cuda, mps or cpu", choices=device.CHOICES)


def _choices(c: Choices) -> list[str] | None:
    return None if c is None else list(c() if callable(c) else c)


def validate(config: Any) -> None:
    """Raise ValueError naming the field and what is valid, for the first bad field."""
    for f in fields(config):
        value, meta = getattr(config, f.name), f.metadata
        kind = type(f.default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(config, f.name, float(value))
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{f.name} must be {kind.__name__}, got {value!r}")
        if kind is float and not math.isfinite(value):
            raise ValueError(f"{f.name} must be a finite number, got {value!r}")
        lo, hi = meta.get("lo"), meta.get("hi")
        size = len(value) if kind is tuple else value
        if (lo is not None and size < lo) or (hi is not None and size > hi):
            what = "number of items in " if kind is tuple else ""
            raise ValueError(f"{what}{f.name} must be {lo}..{hi}, got {size}")
        valid = _choices(meta.get("choices"))
        if valid is not None and value not in valid:
            raise ValueError(f"{f.name} must be one of: {', '.join(valid)}; got {value!r}")
        items = _choices(meta.get("item_choices"))
        if items is not None:
            for item in value:
                if item not in items:
                    raise ValueError(f"{f.name} has {item!r}; valid: {', '.join(items)}")


def parse_value(cls: type, name: str, text: str) -> Any:
    """Turn the text `text` into the type of field `name` of config class `cls`."""
    by_name = {f.name: f for f in fields(cls)}
    if name not in by_name:
        raise ValueError(f"{cls.__name__} has no field {name!r}; fields: {', '.join(by_name)}")
    kind = type(by_name[name].default)
    try:
        if kind is bool:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError
            return text.lower() in ("1", "true", "yes", "on")
        if kind is tuple:
            return tuple(s.strip() for s in text.split(",") if s.strip())
        return kind(text)
    except ValueError:
        raise ValueError(f"{name} must be {kind.__name__}, got {text!r}") from None


def from_strings(cls: type, values: dict[str, str], base: Any = None) -> Any:
    """A config of `cls` with the fields in `values` parsed from text (the rest: base or defaults)."""
    parsed = {k: parse_value(cls, k, v) for k, v in values.items()}
    return dataclasses.replace(base if base is not None else cls(), **parsed)


def describe(cls: type) -> list[dict[str, Any]]:
    """Fields with type, default, limits and meaning, for `python -m core list` and docs."""
    rows = []
    for f in fields(cls):
        meta = f.metadata
        limits = ""
        if meta.get("lo") is not None or meta.get("hi") is not None:
            limits = f"{meta.get('lo')}..{meta.get('hi')}"
        valid = _choices(meta.get("choices")) or _choices(meta.get("item_choices"))
        rows.append({"name": f.name, "type": type(f.default).__name__, "default": f.default,
                     "limits": limits, "choices": valid, "help": meta.get("help", "")})
    return rows


def limits(cls: type, name: str) -> tuple[float, float]:
    """(lo, hi) of a numeric field, for widgets that must accept exactly what the config does."""
    meta = next(f.metadata for f in fields(cls) if f.name == name)
    return meta["lo"], meta["hi"]


def config_key(config: Any) -> str:
    """A stable text key of a config, for sharing identical jobs."""
    return type(config).__name__ + json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    summary: str  # one line: what the lab shows
    config: type
    run: Callable[..., Iterator[dict]]  # run(config, stop=None) -> records


EXPERIMENTS: Registry[Experiment] = Registry("experiment")
