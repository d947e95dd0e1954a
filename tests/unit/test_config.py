"""The one text grammar: exact inverses, the same strictness for fields, per-item settings and
the vanishing lab's run specs."""
from dataclasses import dataclass

import pytest

from core import config as C
from core import settings
from core.labs.optimizer_race.config import parse_settings
from core.labs.vanishing.config import parse_run


@dataclass(frozen=True)
class Toy:
    n: int = C.param(3, "a count", lo=1, hi=10)
    x: float = C.param(0.05, "a rate", lo=1e-6, hi=10.0)
    on: bool = C.param(False, "a switch")
    name: str = C.param("a", "a choice", choices=("a", "b"))
    names: tuple = C.param(("a",), "some choices", lo=0, hi=3, items=("a", "b", "c"))
    rates: tuple = C.param((0.0, 0.5), "some numbers", lo=1, hi=4, item_type=float)

    def __post_init__(self) -> None:
        C.validate(self)


@pytest.mark.parametrize("config", [
    Toy(), Toy(n=10, x=1e-05, on=True, name="b", names=(), rates=(0.1,)),
    Toy(x=0.1 + 0.2, names=("c", "a"), rates=(1 / 3, 2.5e-7, 9.0)),
])
def test_to_strings_and_from_strings_are_exact_inverses(config):
    text = C.to_strings(config)
    assert C.from_strings(Toy, text) == config
    assert C.to_strings(C.from_strings(Toy, text)) == text


def test_what_the_grammar_writes():
    text = C.to_strings(Toy(x=0.0003, on=True, names=("b", "c"), rates=(0.0, 0.5)))
    assert text == {"n": "3", "x": "0.0003", "on": "true", "name": "a", "names": "b,c", "rates": "0.0,0.5"}
    assert C.to_strings(Toy(names=()))["names"] == ""


@pytest.mark.parametrize("field,text,message", [
    ("n", "3.0", "n must be int"), ("n", "", "n must be int"), ("x", "abc", "x must be a finite number"),
    ("x", "nan", "x must be a finite number"), ("x", "inf", "x must be a finite number"),
    ("on", "ture", "on must be true or false"), ("rates", "0.1,x", "each item of rates must be a finite number"),
    ("nope", "1", "Toy has no field 'nope'"),
])
def test_bad_text_names_the_field_and_what_is_valid(field, text, message):
    with pytest.raises(ValueError, match=message):
        C.from_strings(Toy, {field: text})


@pytest.mark.parametrize("changes,message", [
    ({"n": 11}, "n must be 1..10, got 11"), ({"name": "z"}, "name must be one of: a, b"),
    ({"names": ("a", "z")}, "names has 'z'; valid: a, b, c"), ({"names": ("a", "a")}, "must not repeat"),
    ({"rates": ()}, "number of items in rates must be 1..4"), ({"n": True}, "n must be int"),
    ({"names": ("a,b",)}, "without commas"),
])
def test_limits_and_choices_are_checked_in_the_dataclass(changes, message):
    with pytest.raises(ValueError, match=message):
        Toy(**changes)


def test_numbers_are_coerced_where_safe():
    assert Toy(x=2).x == 2.0 and isinstance(Toy(x=2).x, float)
    assert Toy(rates=(0, 1)).rates == (0.0, 1.0)
    assert Toy(names=["b"]).names == ("b",)


def test_tweak_keeps_the_meaning_and_changes_the_limits():
    @dataclass(frozen=True)
    class Narrow(Toy):
        n: int = C.tweak(Toy, "n", 5, hi=6)

    f = C.spec(Narrow, "n")
    assert Narrow().n == 5 and f.metadata["help"] == "a count" and C.limits(Narrow, "n") == (1, 6)
    with pytest.raises(ValueError, match="n must be 1..6"):
        Narrow(n=7)


def test_the_key_is_the_text_of_every_field():
    assert C.key(Toy()) != C.key(Toy(n=4)) and C.key(Toy()) == C.key(Toy())


@pytest.mark.parametrize("text", ["adam:amsgrad=ture", "adam:lr=fast", "adam:betas=0.9", "adam", "adam:lr",
                                  "sgdd:lr=1", "adam:colour=1"])
def test_per_item_settings_are_as_strict_as_fields(text):
    with pytest.raises(ValueError):
        parse_settings((text,), ("sgd", "adam"))


def test_per_item_settings_read_every_kind_and_write_back_the_same():
    parsed = parse_settings(("adam:amsgrad=true", "adam:betas=0.8;0.99", "adam:lr=0.002", "sgd:weight_decay=1e-05"),
                            ("sgd", "adam"))
    assert parsed == {"adam": {"amsgrad": True, "betas": (0.8, 0.99), "lr": 0.002}, "sgd": {"weight_decay": 1e-05}}
    for name, own in parsed.items():
        for key, value in own.items():
            assert parse_settings((settings.text(name, key, value),), ("sgd", "adam"))[name][key] == value


@pytest.mark.parametrize("text,message", [("relu/he_normal/clip=x", "clip in run .* must be a finite number"),
                                          ("relu/he_normal/lr=nan", "must be a finite number"),
                                          ("relu/he_normal/clip", "unknown part"),
                                          ("relu/he_normal/norm=", "unknown part")])
def test_run_specs_read_values_with_the_same_grammar(text, message):
    with pytest.raises(ValueError, match=message):
        parse_run(text)


def test_a_run_spec_writes_back_what_it_reads():
    spec = parse_run("gelu/he_uniform/norm=layernorm/clip=0.5/optimizer=adam/lr=0.001")
    assert parse_run(spec.text()) == spec
