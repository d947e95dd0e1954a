"""The dropout lab's config, its run (one net per rate, weights handed on) and its tables."""
import json

import pytest

from core import config as C
from core import data
from core.__main__ import main
from core.jobs import Artifact
from core.labs.dropout import analysis as A
from core.labs.dropout import charts, tables
from core.labs.dropout.config import NOISE, SHUFFLED, TEST, Config
from core.labs.dropout.run import run, trained
from core.train import evaluate

SMALL = dict(rates=(0.0, 0.5), epochs=2, width=32, train_size=60)


def split(items):
    """A run's output -> (its records, run label -> the trained weights handed over as artifacts)."""
    records = [r for r in items if isinstance(r, dict)]
    weights = {a.name.removeprefix("weights/"): a.value for a in items if isinstance(a, Artifact)}
    assert all(a.name.startswith("weights/") for a in items if isinstance(a, Artifact))
    return records, weights


def test_rates_from_text_become_numbers_and_bad_values_name_the_limits():
    assert C.from_strings(Config, {"rates": "0, 0.2,0.5"}).rates == (0.0, 0.2, 0.5)
    for text, message in [("0,1.0", "rates must be 0..0.9"), ("0.5,0.5", "must not repeat"),
                          ("x", "each item of rates must be a finite number"), ("", "number of items in rates")]:
        with pytest.raises(ValueError, match=message):
            C.from_strings(Config, {"rates": text})
    for rates, message in [((0.0, 1.0), "rates must be 0..0.9"), ((0.5, 0.5), "must not repeat"),
                           (("x",), "rates items must be float"), ((), "number of items in rates")]:
        with pytest.raises(ValueError, match=message):
            Config(rates=rates)
    with pytest.raises(ValueError, match="dataset must be one of: digits"):
        Config(dataset="moons")


def test_the_kind_picks_activation_and_initializer():
    alpha = Config(kind="alpha_dropout").spec(0.1)
    assert (alpha.activation, alpha.init) == ("selu", "lecun_normal")
    assert (alpha.dropout, alpha.dropout_p) == ("alpha_dropout", 0.1)
    assert Config().spec(0.0).dropout == "none" and Config().spec(0.5).activation == "relu"
    assert Config(kind="alpha_dropout").labels() == ["no dropout", "alpha dropout 0.2", "alpha dropout 0.5"]


def test_a_run_trains_each_rate_from_the_same_start_and_hands_on_the_weights():
    config = Config(**SMALL)
    items = list(run(config))
    records, weights = split(items)
    train = [r for r in records if r.get("kind") == "train"]
    assert {r["run"] for r in train} == {"no dropout", "dropout 0.5"} and all(r["train_size"] == 60 for r in train)
    assert all(r["train_eval_acc"] is not None and r["train_eval_loss"] is not None for r in train)
    starts = [r["val_loss"] for r in train if r["step"] == 0]
    assert starts[0] == pytest.approx(starts[1])  # the same initial weights (dropout is off in eval)
    assert trained(records) == {"no dropout": 0.0, "dropout 0.5": 0.5}
    assert list(weights) == ["no dropout", "dropout 0.5"]
    for label in weights:  # the weights come before the record that says the run has them
        at = next(i for i, a in enumerate(items) if isinstance(a, Artifact) and a.name == f"weights/{label}")
        assert items[at + 1] == {"kind": "model", "run": label, "rate": trained(records)[label],
                                 "progress": items[at + 1]["progress"], "status": "done"}
    loaded = data.load("digits")
    for label, rec in weights.items():
        last = [r for r in train if r["run"] == label][-1]
        assert evaluate(A.rebuild(rec, loaded.device), loaded, loaded.valid)[1] == pytest.approx(last["val_acc"])
    gaps = tables.gaps(records)
    assert set(gaps["metric"]) == {"loss", "accuracy"} and len(gaps) == 2 * 2 * 3  # 2 runs, epochs 0..2
    summary = tables.summary(records).set_index("run")
    assert summary.loc["no dropout", "gap"] == pytest.approx(
        summary.loc["no dropout", "train accuracy"] - summary.loc["no dropout", "validation accuracy"])


def test_the_command_line_writes_json_without_the_weights(tmp_path):
    path = tmp_path / "out.json"
    assert main(["run", "dropout", "--set", "rates=0,0.5", "--set", "epochs=1", "--set", "width=16",
                 "--set", "train_size=60", "--json", str(path)]) == 0
    runs = {r["run"]: r for r in json.loads(path.read_text())["runs"]}
    assert set(runs) == {"no dropout", "dropout 0.5"} and runs["dropout 0.5"]["status"] == "done"
    for entry in runs.values():  # training records, then the record saying the weights were handed over
        kinds = [rec["kind"] for rec in entry["records"]]
        assert kinds == ["train"] * (len(kinds) - 1) + ["model"]
        assert not any({"state", "spec", "weights"} & set(rec) for rec in entry["records"])


def test_the_analysis_of_a_net_without_dropout_has_no_spread():
    config = Config(**{**SMALL, "rates": (0.0,)})
    (rec,) = split(list(run(config)))[1].values()
    an = A.analyse(config, "no dropout", rec, 20)
    assert an.run == "no dropout" and an.passes == 20
    assert not an.has_dropout and an.table["mutual_info"].max() < 1e-5
    assert an.accuracy["deterministic"] == pytest.approx(an.accuracy["MC dropout"])
    assert {TEST, NOISE, SHUFFLED} <= set(an.raw)  # and every other cached image set
    frame = A.class_frame(an, TEST, 0)
    mc = frame.dropna(subset=["lo"])
    assert len(frame) == 2 * 10 and len(mc) == 10
    assert (mc["lo"] <= mc["value"]).all() and (mc["value"] <= mc["hi"]).all()
    assert [s for s, _ in A.gallery(an, "entropy")] == [TEST] * A.GALLERY
    assert len(A.gallery(an, NOISE)) == A.GALLERY and A.caption(an, NOISE, 3).startswith("#3 → ")


def test_the_charts_take_the_labs_frames():
    config = Config(**SMALL)
    records, weights = split(list(run(config)))
    an = A.analyse(config, "dropout 0.5", weights["dropout 0.5"], 10)
    specs = [
        charts.dropout_gaps(tables.gaps(records), epochs=config.epochs, runs=config.labels()),
        charts.class_probabilities(A.class_frame(an, TEST, 0), classes=list(an.class_names),
                                   estimates=A.CLASS_ESTIMATES),
        charts.ood_uncertainty(A.ood_frame(an), sources=list(an.raw), measures=list(A.MEASURES.values()),
                               max_entropy=A.max_entropy(an)),
        charts.reliability_diagrams(an.reliability, A.ece_frame(an), estimates=list(A.ESTIMATES),
                                    titles=["deterministic", "MC"]),
    ]
    assert [sorted(s["datasets"]) for s in specs] == [
        ["gaps", "zero"], ["probs"], ["ceiling", "ood"], ["bins", "diagonal", "ece"]]
    assert set(specs[2]["datasets"]["ood"]["measure"]) == set(A.MEASURES.values())
    assert specs[3]["datasets"]["ece"]["text"].str.startswith("ECE ").all()
