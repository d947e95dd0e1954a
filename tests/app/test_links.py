"""Links carry every setting of every lab, both ways: a link opens the lab exactly as it was, the
page writes every setting back to the address bar, and settings survive leaving the page."""
import dataclasses

import pytest

from core import config as C
from core import labs
from tests.app.helpers import open_page

LABS = labs.all_labs()
IDS = [lab.name for lab in LABS]
# Settings whose valid values depend on other settings, written out; every other setting gets a
# non-default value chosen from its own metadata by `non_default`.
EXAMPLES = {
    "vanishing": {"runs": "relu-he,gelu/he_uniform/norm=layernorm"},
    "optimizer_race": {"optimizers": "sgd,adam", "lr_mode": "same", "settings": "sgd:lr=0.2,adam:betas=0.8;0.99"},
    "schedules": {"schedules": "constant,onecycle", "settings": "onecycle:pct_start=0.25", "preview": "cosine,onecycle",
                  "optimizer": "momentum", "start_lr": "0.0001", "end_lr": "1.0"},
    "dropout": {"rates": "0.1,0.3", "inspect": "0.3", "gallery": "wrong", "dataset": "fashion-mnist"},
    "variance": {"activations": "relu,selu", "inits": "he_normal,lecun_normal", "hist_layers": "2,3"},
    "landscape": {"optimizers": "sgd,adam", "settings": "adam:lr=0.2"},
    "activations": {"names": "relu,tanh", "activations": "relu,elu", "z_min": "-3.0", "z_max": "4.0", "z": "2.0"},
    "transfer": {"dataset": "fashion-mnist"},
    "lr_sweep": {"optimizers": "sgd,adam", "lr_lo": "0.001", "lr_hi": "0.3"},
    "deepnet": {"runs": "bn,selu/lecun_normal/alpha_dropout=0.1/drop_last=1/l1=1e-05/maxnorm=2.0/schedule=onecycle"},
}
COMMON = {"dataset": "moons", "device": "cpu", "seed": "1"}


def non_default(f: dataclasses.Field) -> str:
    """A valid value of field `f` other than its default, as text."""
    meta, kind, default = f.metadata, C.kind(f), f.default
    lo, hi = meta.get("lo"), meta.get("hi")
    if kind is bool:
        return C.format_scalar(not default)
    if kind is str:
        return next(o for o in C.options(meta["choices"]) if o != default)
    if kind is tuple:
        pool = C.options(meta.get("items")) or list(meta.get("grid") or ())
        items = [C.format_scalar(v) for v in pool if v not in default][:max(1, min(2, int(hi or 2)))]
        return ",".join(items)
    grid = [g for g in meta.get("grid") or () if g != default and (lo is None or g >= lo) and (hi is None or g <= hi)]
    if grid:
        return C.format_scalar(kind(grid[0]))
    step = meta.get("step") or 1
    value = default + step if hi is None or default + step <= hi else default - step
    return C.format_scalar(kind(round(value, 6)) if kind is float else kind(value))


def link(lab) -> dict[str, str]:
    out = {}
    for name, f in lab.fields().items():
        out[name] = EXAMPLES.get(lab.name, {}).get(name) or COMMON.get(name) or non_default(f)
    return out


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_the_example_link_changes_every_setting_and_is_valid(lab):
    params = link(lab)
    defaults = {k: v for cls in lab.classes() for k, v in C.to_strings(cls()).items()}
    assert set(params) == set(defaults)
    assert [k for k in params if params[k] == defaults[k]] == []
    for cls in lab.classes():
        C.from_strings(cls, {k: v for k, v in params.items() if k in {f.name for f in dataclasses.fields(cls)}})


def _values(at, lab) -> dict[str, object]:
    form_key = {name: (f"shared.{name}" if name in ("dataset", "device", "seed") else f"{lab.name}.{name}")
                for name in lab.fields()}
    return {name: tuple(v) if isinstance(v := at.session_state[k], list) else v for name, k in form_key.items()}


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_a_link_opens_the_lab_exactly_and_the_page_writes_it_back(lab):
    params = link(lab)
    at = open_page(lab.screen, **params)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "from the link" in w.value]
    expected = {name: C.parse_value(f, params[name]) for name, f in lab.fields().items()}
    assert _values(at, lab) == expected
    assert dict(at.query_params) == params  # every setting, defaults included, in the one grammar
    for cls in lab.classes():
        config = cls(**{f.name: expected[f.name] for f in dataclasses.fields(cls)})
        assert C.to_strings(config) == {k: v for k, v in params.items() if k in C.to_strings(config)}


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_settings_survive_leaving_the_lab_and_coming_back(lab):
    params = link(lab)
    at = open_page(lab.screen, **params)
    at.switch_page("app_pages/home.py").run()
    at.query_params.clear()  # the lab's address is gone: only the session remembers
    at.switch_page(lab.screen).run()
    assert not at.exception
    assert dict(at.query_params) == params


def test_a_bad_value_is_ignored_with_a_notice_and_the_rest_still_applies():
    lab = labs.get("optimizer_race")
    at = open_page(lab.screen, seeds="50", lr="fast", optimizers="sgd,nope", depth="4", colour="red",
                   settings="adam:amsgrad=ture")
    notices = " ".join(w.value for w in at.warning)
    for text in ("Ignored seeds='50' from the link: seeds must be 1..10, got 50",
                 "Ignored lr='fast' from the link: lr must be a finite number",
                 "Ignored optimizers='sgd,nope' from the link: optimizers has 'nope'",
                 "Ignored colour='red' from the link: this lab has no setting 'colour'",
                 "Ignored settings='adam:amsgrad=ture' from the link"):
        assert text in notices
    assert at.session_state["optimizer_race.depth"] == 4 and at.session_state["optimizer_race.seeds"] == 1
    assert at.query_params["depth"] == "4" and at.query_params["seeds"] == "1" and "colour" not in at.query_params
