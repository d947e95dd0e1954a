"""Per-item settings written as text, 'name:key=value', as the race labs take them from a page,
a URL or the command line."""
from __future__ import annotations

from typing import Any, Callable


def parse(settings: tuple, names: tuple, *, chosen: str,
          defaults: Callable[[str], dict[str, Any]], same_length: bool = False) -> dict[str, dict]:
    """Per-item settings written 'name:key=value' -> {name: {key: value}}, each value parsed to the
    type of the key's default in `defaults(name)`: a bool (1/true/yes/on), a text, numbers written
    a;b for a tuple (of the default's length when `same_length`), an int or a float. `chosen`
    says what the names are, for the message when one is not among `names`."""
    out: dict[str, dict] = {}
    for text in settings:
        name, _, rest = text.partition(":")
        key, _, value = rest.partition("=")
        if name not in names:
            raise ValueError(f"setting {text!r} names {name!r}, which is not {chosen} ({', '.join(names)})")
        valid = defaults(name)
        if key not in valid:
            raise ValueError(f"setting {text!r}: {name} takes {', '.join(valid)}")
        default = valid[key]
        try:
            if isinstance(default, bool):
                parsed: Any = value.lower() in ("1", "true", "yes", "on")
            elif isinstance(default, str):
                parsed = value
            elif isinstance(default, tuple):
                parsed = tuple(float(v) for v in value.split(";") if v.strip())
                if same_length and len(parsed) != len(default):
                    raise ValueError
            elif isinstance(default, int):
                parsed = int(float(value))
            else:
                parsed = float(value)
        except ValueError:
            raise ValueError(f"setting {text!r}: {key} needs a value like {default!r}") from None
        out.setdefault(name, {})[key] = parsed
    return out
