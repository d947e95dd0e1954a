"""A session's run history as one JSON file, and back into another session.

The file holds, per run, its lab (and part), the live panel that showed it, its settings in the
config grammar, how it ended, and its records. Loading checks all of it before anything joins
the session: the layout and version, the types and sizes, the lab and part names, the settings
read back through the config grammar and validated by the config class, the records plain data
(dicts of numbers, text, booleans, None and lists) that the lab's own tables can read. Anything
wrong refuses the whole file with a message saying what and where. Nothing in it is executed or
unpickled: it is read with json.loads alone.

Key results and run labels are not trusted from the file: they are derived again from the
records. Non-finite numbers (a diverged loss) are written as JSON's NaN/Infinity extensions,
which Python reads back exactly.
"""
from __future__ import annotations

import json
import re
from typing import Any

from core import config as C
from core import frames, jobs, labs
from core.history import MAX_BYTES, MAX_RUNS, Entry, headline

FORMAT = "training-dynamics-history"
VERSION = 1
MAX_FILE_BYTES = 2 * MAX_BYTES  # a larger file is refused unread (what loads is then bounded as usual)
MAX_FILE_RUNS = MAX_RUNS * 10  # runs in one file
MAX_TEXT = 10_000  # characters in one string
MAX_DEPTH = 4  # nesting below a record: record -> list -> dict -> list (per-layer rows, histograms)
PANEL = re.compile(r"[a-z][a-z0-9_]{0,39}")  # a live panel's name (a page's session slot prefix)
RUN_KEYS = {"lab", "part", "panel", "settings", "status", "error", "finished", "weights", "records"}
NUMBERS = ("epoch", "step", "samples", "time", "progress", "train_loss", "train_acc", "val_loss", "val_acc", "lr")
TEXTS = ("run", "kind", "status", "message")


class HistoryFileError(ValueError):
    """A history file that cannot be loaded; the message says why, for the page."""


def dump(entries: list[Entry]) -> str:
    """The entries (finished) as the history file's text."""
    runs = [{"lab": e.lab, "part": e.part, "panel": e.panel, "settings": e.settings, "status": e.job.status,
             "error": e.job.error, "finished": e.job.finished, "weights": bool(e.weights()),
             "records": e.job.records} for e in entries]
    return json.dumps({"format": FORMAT, "version": VERSION, "runs": runs}, separators=(",", ":"),
                      default=_plain)


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python number; anything else is not plain data."""
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not plain data")


def load(data: bytes) -> list[tuple[jobs.Job, str]]:
    """The file's runs as finished jobs with their panel names, every one checked; a
    HistoryFileError naming the first fault, and nothing, when any check fails."""
    if len(data) > MAX_FILE_BYTES:
        raise HistoryFileError(f"The file is {len(data) / 2**20:.1f} MB; a history file is at most "
                               f"{MAX_FILE_BYTES / 2**20:g} MB.")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HistoryFileError(f"The file is not valid JSON text ({type(exc).__name__}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HistoryFileError("This is not a run history file: it lacks \"format\": \"training-dynamics-history\".")
    if set(doc) != {"format", "version", "runs"}:
        raise HistoryFileError(f"Unexpected fields in the file: {', '.join(sorted(set(doc) - {'format', 'version', 'runs'}))}.")
    if doc["version"] != VERSION or isinstance(doc["version"], bool):
        raise HistoryFileError(f"The file is of version {doc['version']!r}; this app reads version {VERSION}.")
    runs = doc["runs"]
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_FILE_RUNS:
        raise HistoryFileError(f"\"runs\" must be a list of 1 to {MAX_FILE_RUNS} runs.")
    out = []
    for i, run in enumerate(runs, 1):
        try:
            out.append(_run(run))
        except (HistoryFileError, ValueError) as exc:
            raise HistoryFileError(f"Run {i} of the file: {exc}") from None
    return out


def _run(run: Any) -> tuple[jobs.Job, str]:
    if not isinstance(run, dict) or set(run) != RUN_KEYS:
        raise HistoryFileError(f"a run must have exactly the fields {', '.join(sorted(RUN_KEYS))}.")
    lab_name, part = _text(run["lab"], "lab"), _text(run["part"], "part")
    lab = labs.get(lab_name)  # ValueError listing the labs
    cls = lab.part(part).config if part else lab.config
    settings = run["settings"]
    if not isinstance(settings, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in settings.items()):
        raise HistoryFileError("\"settings\" must map field names to text.")
    config = C.from_strings(cls, settings)  # read through the grammar, validated by the class
    panel = _text(run["panel"], "panel")
    if not PANEL.fullmatch(panel):
        raise HistoryFileError(f"\"panel\" must be a panel's name (lower-case letters, digits, _), got {panel!r}.")
    if run["status"] not in jobs.TERMINAL:
        raise HistoryFileError(f"\"status\" must be one of {', '.join(jobs.TERMINAL)}, got {run['status']!r}.")
    error = None if run["error"] is None else _text(run["error"], "error")
    finished = run["finished"]
    if finished is not None and (not _number(finished) or not 0 <= finished < 1e11):
        raise HistoryFileError("\"finished\" must be a time in seconds since 1970, or null.")
    if not isinstance(run["weights"], bool):
        raise HistoryFileError("\"weights\" must be true or false.")
    records = _records(run["records"])
    job = jobs.restored(records, label=lab.name, config=config, status=run["status"], finished=finished,
                        error=error, artifacts_dropped=run["weights"])
    _readable(lab, part, job)
    return job, panel


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise HistoryFileError(f"\"{what}\" must be text of at most {MAX_TEXT} characters.")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _records(records: Any) -> list[dict]:
    if not isinstance(records, list):
        raise HistoryFileError("\"records\" must be a list.")
    for i, rec in enumerate(records, 1):
        where = f"record {i}"
        if not isinstance(rec, dict):
            raise HistoryFileError(f"{where} is not an object of named values.")
        _plain_value(rec, where, 0)
        for key in NUMBERS:
            if rec.get(key) is not None and not _number(rec[key]):
                raise HistoryFileError(f"{where}: {key} must be a number, got {rec[key]!r}.")
        for key in TEXTS:
            if key in rec and not isinstance(rec[key], str):
                raise HistoryFileError(f"{where}: {key} must be text, got {rec[key]!r}.")
    return records


def _plain_value(value: Any, where: str, depth: int) -> None:
    """Numbers, text, booleans, None, and lists and objects of them, nested MAX_DEPTH deep at most."""
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise HistoryFileError(f"{where}: a text longer than {MAX_TEXT} characters.")
        return
    if depth > MAX_DEPTH:
        raise HistoryFileError(f"{where}: nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, list):
        for item in value:
            _plain_value(item, where, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if len(key) > 100:
                raise HistoryFileError(f"{where}: a name longer than 100 characters.")
            _plain_value(item, where, depth + 1)
        return
    raise HistoryFileError(f"{where}: {type(value).__name__} is not plain data.")  # pragma: no cover (json gives none)


def _readable(lab: Any, part: str, job: jobs.Job) -> None:
    """The lab's own table, key result and learning curves read the records, or the run is refused."""
    records = job.records
    try:
        (frames.flat if part else lab.table)(records)
        headline(lab, part, job)
        frames.curves(records)
        frames.status(records)
    except Exception as exc:  # any fault of the records' shape: the file is refused, the app goes on
        raise HistoryFileError(f"its records do not read as the {lab.title} lab's ({type(exc).__name__}: {exc}).")
