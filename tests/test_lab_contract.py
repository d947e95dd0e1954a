"""The lab contract, checked over every lab in the registry: a new lab is held to it the moment
its entry is added."""
import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from core import config as C
from core import labs
from core.jobs import Artifact
from core.labs.fields import SHARED
from tests.app.helpers import open_page

ROOT = Path(__file__).resolve().parents[1]
LABS = labs.all_labs()
IDS = [lab.name for lab in LABS]
TERMINAL = {"done", "diverged", "early_stopped", "cancelled"}


def _fields(cls):
    return {f.name: f for f in dataclasses.fields(cls)}


def _smoke(lab, cls):
    return C.from_strings(cls, {k: v for k, v in lab.smoke.items() if k in _fields(cls)})


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_the_entry_names_everything(lab):
    assert lab.name and lab.title and lab.icon and lab.summary and lab.url_path.isidentifier() is not None
    assert (ROOT / lab.screen).is_file() and lab.screen.startswith("app_pages/")
    assert callable(lab.run) and callable(lab.table) and callable(lab.headline)
    assert lab.script is None or callable(lab.script)  # the export issue fills it in
    assert lab.lane in ("train", "quick") and all(p.lane in ("train", "quick") for p in lab.parts.values())
    for shared in SHARED:
        assert shared in _fields(lab.config), f"{lab.name} lacks the shared field {shared}"


def test_names_paths_and_screens_are_unique():
    for attr in ("name", "url_path", "screen", "title"):
        values = [getattr(lab, attr) for lab in LABS]
        assert len(set(values)) == len(values), attr


def test_nothing_else_lists_the_labs():
    """The router, the home page, the CLI and the browser tests take the labs from the registry."""
    for path in ("app.py", "app_pages/home.py", "core/__main__.py", "tests/e2e/test_browser.py"):
        text = (ROOT / path).read_text()
        for lab in LABS:
            assert lab.screen not in text, f"{path} names {lab.screen}"


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_default_configs_are_valid_and_every_field_is_described(lab):
    for cls in lab.classes():
        cls()  # validates in __post_init__
        for f in dataclasses.fields(cls):
            meta = f.metadata
            assert meta.get("help"), f"{cls.__name__}.{f.name} has no help text"
            kind = C.kind(f)
            described = (kind is bool or meta.get("lo") is not None or meta.get("choices") is not None
                         or meta.get("items") is not None or meta.get("grid") is not None)
            assert described, f"{cls.__name__}.{f.name} has neither limits nor choices"


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_a_setting_shared_by_classes_means_one_thing(lab):
    """A name in several config classes of a lab is one widget and one URL parameter."""
    seen = {}
    for cls in lab.classes():
        for f in dataclasses.fields(cls):
            if f.name in seen:
                assert C.kind(seen[f.name]) is C.kind(f) and seen[f.name].default == f.default, (lab.name, f.name)
            seen[f.name] = f


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_config_to_text_to_config_round_trips(lab):
    for cls in lab.classes():
        for config in (cls(), _smoke(lab, cls)):
            text = C.to_strings(config)
            assert set(text) == set(_fields(cls)) and all(isinstance(v, str) for v in text.values())
            assert C.from_strings(cls, text) == config
            assert C.to_strings(C.from_strings(cls, text)) == text


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_every_preset_sets_valid_settings(lab):
    """Each lab offers its textbook experiments as presets; each preset's settings are settings of
    the lab, of the types its widgets hold, and every config class accepts them."""
    assert lab.presets, f"{lab.name} offers no preset"
    fields = lab.fields()
    for title, preset in lab.presets.items():
        assert title == preset.title and preset.description and "\n" not in preset.description
        values = preset.values()
        assert values and set(values) <= set(fields), f"{title!r} sets what is no setting: {set(values) - set(fields)}"
        for cls in lab.classes():
            mine = {k: v for k, v in values.items() if k in _fields(cls)}
            config = cls(**mine)  # validates in __post_init__
            for name, value in mine.items():  # as given, not coerced (an int for a float is not what a widget holds)
                assert C.format_value(fields[name], value) == C.format_value(fields[name], getattr(config, name)), (
                    title, name)


def _json_ready(records):
    json.dumps(records, allow_nan=True)
    for rec in records:
        assert isinstance(rec, dict)
        for value in rec.values():
            if isinstance(value, float):
                assert math.isfinite(value) or math.isnan(value)


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_a_tiny_run_ends_in_a_terminal_status_with_plain_records(lab):
    for cls, run in [(lab.config, lab.run), *((p.config, p.run) for p in lab.parts.values())]:
        out = list(run(_smoke(lab, cls)))
        records = [r for r in out if not isinstance(r, Artifact)]
        assert all(isinstance(r, dict) for r in records), "a run yields records (dicts) and Artifacts only"
        _json_ready(records)
        ends = [r["status"] for r in records if r.get("status") not in (None, "running")]
        assert ends and set(ends) <= TERMINAL, (lab.name, ends)
        if cls is lab.config:
            table = lab.table(records)
            assert isinstance(table, pd.DataFrame) and len(table) > 0
            table.to_csv(index=False)  # CSV-ready
            headline = lab.headline(records)
            assert isinstance(headline, str) and headline and "\n" not in headline


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_the_page_opens_without_an_exception(lab):
    at = open_page(lab.screen)
    assert not at.exception, at.exception
    assert dict(at.query_params) == {k: v for cls in lab.classes() for k, v in C.to_strings(cls()).items()}
