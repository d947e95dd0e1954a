"""Configs: frozen dataclasses whose fields carry their meaning, limits, choices and a widget
hint, validated in the dataclass, and one text grammar for all of them.

A field is declared with `param(default, help, lo=, hi=, choices=, ...)`. `validate` checks every
field against its limits, so a URL, a script or the CLI cannot get past them; the same metadata
draws the form (`ui/form.py`). `to_strings(config)` and `from_strings(cls, values)` are exact
inverses and serve links, the command line, job keys and, later, history and export:

    int 3          -> "3"           float 0.05   -> "0.05" (shortest text that reads back exactly)
    bool True      -> "true"       str "adam"   -> "adam"
    tuple ("a","b") -> "a,b"       tuple (0.0, 0.5) -> "0.0,0.5" (items of the field's item type)

Per-item settings ("adam:lr=0.002", "adam:betas=0.9;0.99") and a lab's own item specs read
their values through the same `parse_scalar`, with the same strictness.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import field, fields
from typing import Any, Callable, Sequence

from core.registry import Registry

Choices = Sequence[str] | Callable[[], Sequence[str]] | Registry | None
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
WIDGETS = ("slider", "select_slider", "number", "toggle", "selectbox", "radio", "multiselect", "text", "custom")


def param(default: Any, help: str, *, label: str | None = None, lo: float | None = None,
          hi: float | None = None, choices: Choices = None, items: Choices = None,
          item_type: type | None = None, grid: Sequence[float] | None = None, widget: str | None = None,
          fmt: Callable[[Any], str] | None = None, step: float | None = None,
          check: Callable[[Any], None] | None = None) -> Any:
    """A config field.

    help: its meaning, with its unit; label: the widget's label (default: from the name).
    lo/hi: limits of a number, or of the number of items of a tuple. choices: the valid values
    of a text field; items: the valid items of a tuple field; item_type: the type of a tuple's
    items (default: the type of the default's items, else str). grid: the values a
    select-slider offers (any valid value is added to it). widget: a hint from WIDGETS.
    fmt: how a value or item is labelled in a widget (registries label their entries).
    check: raises ValueError, saying what to do, for a value it refuses; called before `choices`
    are, where a bare list of the valid values would not help (e.g. an uploaded dataset gone).
    """
    if widget is not None and widget not in WIDGETS:
        raise ValueError(f"widget must be one of {WIDGETS}, got {widget!r}")
    meta = {"help": help, "label": label, "lo": lo, "hi": hi, "choices": choices, "items": items,
            "item_type": item_type, "grid": tuple(grid) if grid is not None else None, "widget": widget,
            "fmt": fmt, "step": step, "check": check}
    return field(default=default, metadata=meta)


def tweak(cls: type, name: str, default: Any = dataclasses.MISSING, **changes: Any) -> Any:
    """Field `name` of `cls` with another default or other metadata (e.g. a lab's own limits):
    the meaning, label and widget are written once, where the field is first declared."""
    f = next(f for f in fields(cls) if f.name == name)
    meta = {**f.metadata, **changes}
    return field(default=f.default if default is dataclasses.MISSING else default, metadata=meta)


# --- reading the metadata -----------------------------------------------------------------

def options(c: Choices) -> list[str] | None:
    """The valid values named by `choices` or `items` (None: any)."""
    if c is None:
        return None
    if isinstance(c, Registry):
        return c.names()
    return list(c() if callable(c) else c)


def labeller(f: dataclasses.Field) -> Callable[[Any], str]:
    """How a value (or an item) of field `f` is shown: fmt, a registry's labels, or the text."""
    meta = f.metadata
    if meta.get("fmt") is not None:
        return meta["fmt"]
    registry = meta.get("choices") if isinstance(meta.get("choices"), Registry) else meta.get("items")
    if isinstance(registry, Registry):
        return lambda v: getattr(registry.get(v), "label", v) if v in registry else str(v)
    return lambda v: format_scalar(v) if isinstance(v, float) else str(v)


def spec(cls: type, name: str) -> dataclasses.Field:
    for f in fields(cls):
        if f.name == name:
            return f
    raise ValueError(f"{cls.__name__} has no field {name!r}; fields: {', '.join(f.name for f in fields(cls))}")


def kind(f: dataclasses.Field) -> type:
    return type(f.default)


def item_type(f: dataclasses.Field) -> type:
    """The type of the items of a tuple field."""
    if f.metadata.get("item_type") is not None:
        return f.metadata["item_type"]
    return type(f.default[0]) if f.default else str


def label(f: dataclasses.Field) -> str:
    return f.metadata.get("label") or f.name.replace("_", " ").capitalize()


def limits(cls: type, name: str) -> tuple[float | None, float | None]:
    meta = spec(cls, name).metadata
    return meta.get("lo"), meta.get("hi")


# --- the one text grammar -------------------------------------------------------------------

def format_scalar(value: Any) -> str:
    """A bool, int, float or text as the grammar writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same float
    return str(value)


def parse_scalar(kind_: type, text: str, what: str) -> Any:
    """Text -> a bool, int, float or str; ValueError naming `what` and the expected kind."""
    text = text.strip()
    try:
        if kind_ is bool:
            if text.lower() in TRUE:
                return True
            if text.lower() in FALSE:
                return False
            raise ValueError
        if kind_ is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        return kind_(text)
    except ValueError:
        expected = "true or false" if kind_ is bool else "a finite number" if kind_ is float else kind_.__name__
        raise ValueError(f"{what} must be {expected}, got {text!r}") from None


def format_value(f: dataclasses.Field, value: Any) -> str:
    if kind(f) is tuple:
        return ",".join(format_scalar(v) for v in value)
    return format_scalar(value)


def parse_value(f: dataclasses.Field, text: str) -> Any:
    if kind(f) is tuple:
        items = [s for s in text.split(",")] if text.strip() else []
        return tuple(parse_scalar(item_type(f), s, f"each item of {f.name}") for s in items)
    return parse_scalar(kind(f), text, f.name)


def to_strings(config: Any) -> dict[str, str]:
    """Every field of `config` as text, defaults included, in field order."""
    return {f.name: format_value(f, getattr(config, f.name)) for f in fields(config)}


def changed(config: Any) -> dict[str, str]:
    """The fields of `config` that differ from its class's defaults, as text (as a link has them)."""
    plain = to_strings(type(config)())
    return {k: v for k, v in to_strings(config).items() if plain.get(k) != v}


def from_strings(cls: type, values: dict[str, str], base: Any = None) -> Any:
    """A config of `cls` with the fields in `values` read from text (the rest from `base`, or
    the defaults); ValueError names the field and what is valid."""
    parsed = {name: parse_value(spec(cls, name), text) for name, text in values.items()}
    return dataclasses.replace(base if base is not None else cls(), **parsed)


def key(config: Any) -> str:
    """A stable text key of a config (for sharing identical jobs)."""
    return type(config).__qualname__ + "?" + "&".join(f"{k}={v}" for k, v in to_strings(config).items())


# --- validation -------------------------------------------------------------------------------

def validate(config: Any) -> None:
    """Raise ValueError naming the field and what is valid, for the first bad field.
    An int given for a float (or for a tuple of floats) becomes a float."""
    for f in fields(config):
        value = _coerce(config, f)
        meta = f.metadata
        lo, hi = meta.get("lo"), meta.get("hi")
        size = len(value) if kind(f) is tuple else value
        if (lo is not None and size < lo) or (hi is not None and size > hi):
            what = "number of items in " if kind(f) is tuple else ""
            raise ValueError(f"{what}{f.name} must be {format_scalar(lo)}..{format_scalar(hi)}, "
                             f"got {format_scalar(size)}")
        if meta.get("check") is not None:
            meta["check"](value)
        valid = options(meta.get("choices"))
        if valid is not None and value not in valid:
            raise ValueError(f"{f.name} must be one of: {', '.join(valid)}; got {value!r}")
        if kind(f) is tuple:
            _check_items(f, value)


def _coerce(config: Any, f: dataclasses.Field) -> Any:
    value, want = getattr(config, f.name), kind(f)
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if want is tuple and isinstance(value, list):
        value = tuple(value)
    if want is tuple and item_type(f) is float:
        value = tuple(float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value)
    object.__setattr__(config, f.name, value)
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise ValueError(f"{f.name} must be {want.__name__}, got {value!r}")
    if want is float and not math.isfinite(value):
        raise ValueError(f"{f.name} must be a finite number, got {value!r}")
    return value


def _check_items(f: dataclasses.Field, value: tuple) -> None:
    t = item_type(f)
    for item in value:
        if not isinstance(item, t) or (t is float and not math.isfinite(item)):
            raise ValueError(f"{f.name} items must be {t.__name__}, got {item!r}")
        if t is str and ("," in item or item != item.strip() or not item):
            raise ValueError(f"{f.name} items must be non-empty text without commas, got {item!r}")
    valid = options(f.metadata.get("items"))
    if valid is not None:
        for item in value:
            if item not in valid:
                raise ValueError(f"{f.name} has {item!r}; valid: {', '.join(valid)}")
    if len(set(value)) != len(value):
        raise ValueError(f"{f.name} must not repeat, got {format_value(f, value)}")


def describe(cls: type) -> list[dict[str, Any]]:
    """Fields with type, default (as text), limits and meaning, for `python -m core list`."""
    rows = []
    for f in fields(cls):
        meta = f.metadata
        lo, hi = meta.get("lo"), meta.get("hi")
        limits_ = f"{format_scalar(lo)}..{format_scalar(hi)}" if lo is not None or hi is not None else ""
        rows.append({"name": f.name, "type": kind(f).__name__, "default": format_value(f, f.default),
                     "limits": limits_, "choices": options(meta.get("choices")) or options(meta.get("items")),
                     "help": meta.get("help", "")})
    return rows
