"""Per-item settings written as text, 'name:key=value', as the race labs take them from a page,
a URL or the command line. Values are read with the config grammar's `parse_scalar`; a tuple's
numbers are written a;b."""
from __future__ import annotations

from typing import Any, Callable

from core.config import format_scalar, parse_scalar


def parse(settings: tuple, names: tuple, *, chosen: str,
          defaults: Callable[[str], dict[str, Any]], same_length: bool = False) -> dict[str, dict]:
    """Per-item settings written 'name:key=value' -> {name: {key: value}}, each value read as the
    type of the key's default in `defaults(name)`: a bool (true/false), a text, numbers written
    a;b for a tuple (of the default's length when `same_length`), an int or a float. `chosen`
    says what the names are, for the message when one is not among `names`."""
    out: dict[str, dict] = {}
    for text in settings:
        name, sep, rest = text.partition(":")
        key, eq, value = rest.partition("=")
        if not sep or not eq:
            raise ValueError(f"setting {text!r} must be written name:key=value")
        if name not in names:
            raise ValueError(f"setting {text!r} names {name!r}, which is not {chosen} ({', '.join(names)})")
        valid = defaults(name)
        if key not in valid:
            raise ValueError(f"setting {text!r}: {name} takes {', '.join(valid)}")
        out.setdefault(name, {})[key] = read(valid[key], value, f"setting {text!r}: {key}", same_length)
    return out


def read(default: Any, text: str, what: str, same_length: bool = False) -> Any:
    """A setting's value from text, of the type of its default."""
    if isinstance(default, tuple):
        parts = [p for p in text.split(";") if p.strip()]
        parsed = tuple(parse_scalar(float, p, what) for p in parts)
        if not parsed or (same_length and len(parsed) != len(default)):
            raise ValueError(f"{what} needs {len(default)} numbers written like {write(default)}")
        return parsed
    return parse_scalar(type(default), text, what)


def write(value: Any) -> str:
    """A setting's value as `parse` reads it back."""
    if isinstance(value, tuple):
        return ";".join(format_scalar(float(v)) for v in value)
    return format_scalar(value)


def text(name: str, key: str, value: Any) -> str:
    return f"{name}:{key}={write(value)}"
