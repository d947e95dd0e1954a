"""Bring your own data: a CSV of tabular classification data, read from its bytes by pandas
(nothing in it is executed), checked with a message that says what to do, and held as a dataset
(`core.data.HELD`) that every lab taking tabular data can train on.

The person picks the label column; the other numeric columns are the features (text columns are
listed and skipped); rows with a missing value are dropped or the file refused, as the person
chooses. The set's name, `upload:<12 hex>`, hashes the file's bytes with the label column and that
choice, so two different files never share a job or a cached result. The split (60/20/20 by seed)
and the standardization (train split only) are core.data's, as for every other set.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from core import data

MAX_BYTES = 5_000_000  # a larger file is refused (about 60,000 rows of ten numbers)
MAX_COLUMNS = 500  # columns in the file, the label and skipped ones included
MIN_CLASSES, MAX_CLASSES = 2, 100
MIN_ROWS, MAX_ROWS = data.MIN_SIZE, data.MAX_SIZE  # rows kept, after any are dropped
MISSING = ("drop", "refuse")  # rows with a missing or non-finite value: dropped, or the file refused
DELIMITERS = (",", ";", "\t")  # the first of these in the header line separates the columns
CLI_PREFIX = "csv:"  # python -m core run NAME --set dataset=csv:PATH[#LABEL]
SHOWN = 8  # column names a message lists before "and N more"
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 13))  # no text file holds these (but tab, LF, CR)


class UploadError(ValueError):
    """A file the labs cannot train on; the message says why and what to do."""


def read(raw: bytes) -> pd.DataFrame:
    """The file as a table, each column typed by pandas (numbers, or text): its columns offer the
    label's choices. Refuses an empty, oversized, binary, unparsable or too wide file."""
    if len(raw) > MAX_BYTES:
        raise UploadError(f"The file has {len(raw) / 1e6:.1f} MB; at most {MAX_BYTES / 1e6:g} MB are taken. "
                          "Upload a sample of its rows.")
    if not raw.strip():
        raise UploadError("The file is empty.")
    text = _text(raw)
    sep = next((d for d in DELIMITERS if d in text.split("\n", 1)[0]), ",")
    header, first = _first_rows(text, sep)
    if len(header) > MAX_COLUMNS:
        raise UploadError(f"The file has {len(header):,} columns; at most {MAX_COLUMNS} are taken. "
                          "Keep the label column and the features you need.")
    if len(first) > len(header):  # pandas would quietly make the first column the index
        raise UploadError(f"The file could not be read as CSV: its first row has {len(first)} fields, its header "
                          f"line names {len(header)}. Give every column a name.")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True, low_memory=False)
    except (ValueError, csv.Error, OverflowError) as exc:  # pandas' ParserError is a ValueError
        reason = re.sub(r"^Error tokenizing data\. C error: ", "", str(exc).strip())
        raise UploadError(f"The file could not be read as CSV: {reason}.") from None
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        raise UploadError("The file has a header line but no rows.")
    if frame.shape[1] < 2:
        raise UploadError(f"The file has one column ({_names(frame.columns)}): a label column and at least "
                          "one numeric feature are needed, separated by commas.")
    return frame


def _first_rows(text: str, sep: str) -> tuple[list[str], list[str]]:
    """The header's fields and the first non-blank row's (read lazily: two rows, not the file)."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        return next(rows), next((r for r in rows if r), [])
    except csv.Error as exc:
        raise UploadError(f"The file could not be read as CSV: {exc}.") from None


def _text(raw: bytes) -> str:
    head = raw[:65_536]
    if b"\0" in head or len(head) - len(head.translate(None, _CONTROL)) > len(head) // 100:
        raise UploadError("This is not a CSV file: it holds binary data (a spreadsheet, an image or an "
                          "archive?). Save the table as CSV (comma-separated values) and upload that.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # older spreadsheets write their local 8-bit encoding


def table(frame: pd.DataFrame, label: str, missing: str = "drop", filename: str = "upload.csv") -> data.Table:
    """The file's rows as features and classes; refuses what the labs cannot train on."""
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}, got {missing!r}")
    if label not in frame.columns:
        raise UploadError(f"The file has no column {label!r}; its columns: {_names(frame.columns)}.")
    numeric = [c for c in frame.columns if c != label and pd.api.types.is_numeric_dtype(frame[c])]
    text = [c for c in frame.columns if c != label and c not in numeric]
    if not numeric:
        raise UploadError(f"The file has no numeric column besides the label {label!r} "
                          f"(text columns: {_names(text)}). The features must be numbers.")
    x = frame[numeric].to_numpy(dtype=np.float64)  # (N, D); true/false become 1/0
    bad = ~np.isfinite(x) | (np.abs(x) > np.finfo(np.float32).max)  # (N, D): missing, inf, or past float32
    unlabelled = frame[label].isna().to_numpy()
    dropped = bad.any(1) | unlabelled  # (N,)
    notes = [f"Skipped {len(text)} non-numeric column{'s' * (len(text) > 1)}: {_names(text)}."] if text else []
    if dropped.any():
        where = _names([c for c, b in zip(numeric, bad.any(0)) if b] + ([label] if unlabelled.any() else []))
        count = f"{int(dropped.sum()):,} of {len(frame):,} rows"
        if missing == "refuse":
            raise UploadError(f"{count} have a missing or non-finite value (in {where}). Choose to drop those "
                              "rows, or fill them in and upload the file again.")
        notes.append(f"Dropped {count} with a missing or non-finite value (in {where}).")
    x, y_column = x[~dropped], frame[label][~dropped]
    if not MIN_ROWS <= len(x) <= MAX_ROWS:
        left = " left after dropping those with missing values" if dropped.any() else ""
        then = " Upload a sample of them." if len(x) > MAX_ROWS else ""
        raise UploadError(f"The file has {len(x):,} rows{left}; {MIN_ROWS:,} to {MAX_ROWS:,} are needed.{then}")
    classes, y = _classes(y_column, label)
    summary = f"{len(x):,} rows, {len(numeric)} numeric features, {len(classes)} classes in {label!r}"
    return data.Table(display_name(filename), summary, tuple(notes), x.astype(np.float32), y, classes,
                      tuple(numeric), label)


def _classes(column: pd.Series, label: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Class names (sorted: numbers by value, text alphabetically) and (N,) int64 indices."""
    codes, uniques = pd.factorize(column, sort=True)
    if len(uniques) < MIN_CLASSES:
        raise UploadError(f"The label column {label!r} has one class ({_class_name(uniques[0])!r}): a classifier "
                          f"needs {MIN_CLASSES} to {MAX_CLASSES}. Pick the column that holds the classes.")
    if len(uniques) > MAX_CLASSES:
        raise UploadError(f"The label column {label!r} has {len(uniques):,} different values; {MIN_CLASSES} to "
                          f"{MAX_CLASSES} classes are taken. Is it a measurement rather than a class? Pick the "
                          "column that holds the classes.")
    return tuple(_class_name(u) for u in uniques), codes.astype(np.int64)


def _class_name(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))  # 1.0 -> "1": a column of integer classes read as floats (it had a gap)
    return str(value).strip()


def _names(columns) -> str:
    columns = [repr(c) for c in columns]
    more = f" and {len(columns) - SHOWN} more" if len(columns) > SHOWN else ""
    return ", ".join(columns[:SHOWN]) + more


def display_name(filename: str) -> str:
    """The file's name as select boxes show it: no folders, no control characters, 60 at most."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", os.path.basename(filename.replace("\\", "/"))).strip() or "upload.csv"
    return name if len(name) <= 60 else name[:57] + "…"


def name(raw: bytes, label: str, missing: str) -> str:
    """The dataset's name: `upload:` and 12 hex digits of the bytes, the label column and the
    missing-value choice (whatever changes the data changes the name, and so every job key)."""
    how = json.dumps([label, missing]).encode()
    return data.UPLOAD_PREFIX + hashlib.sha256(hashlib.sha256(raw).digest() + how).hexdigest()[:12]


def register(raw: bytes, *, label: str, missing: str = "drop", filename: str = "upload.csv") -> tuple[str, data.Table]:
    """Read and check the file, hold it as a dataset; returns its name and table (whose notes
    say what was skipped or dropped). Raises UploadError saying what is wrong."""
    tbl = table(read(raw), label, missing, filename)
    key = name(raw, label, missing)
    data.HELD.put(key, tbl)
    return key, tbl


def resolve(values: dict[str, str]) -> dict[str, str]:
    """Settings as text, with `dataset=csv:PATH[#LABEL]` read, checked and held as its upload name:
    the command line's way to train on a CSV (the label is the last column unless named; rows
    with a missing value are dropped)."""
    text = values.get("dataset", "")
    if not text.startswith(CLI_PREFIX):
        return values
    path, _, label = text[len(CLI_PREFIX):].partition("#")
    try:
        raw = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise UploadError(f"cannot read {path}: {exc.strerror}") from None
    key, _ = register(raw, label=label or str(read(raw).columns[-1]), filename=path)
    return {**values, "dataset": key}
