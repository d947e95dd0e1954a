"""The dropout lab's config, its run (one net per rate, weights handed on) and its tables."""
import json

import pytest

from core import charts, data
from core.__main__ import main
from core.experiments import base
from core.experiments import dropout as D
from core.train import evaluate

SMALL = dict(rates=(0.0, 0.5), epochs=2, width=32, train_size=60)


def test_rates_from_text_become_numbers_and_bad_values_name_the_limits():
    assert base.from_strings(D.Config, {"rates": "0, 0.2,0.5"}).rates == (0.0, 0.2, 0.5)
    for rates, message in [(("0", "1.0"), "rates must be 0..0.9"), (("0.5", "0.5"), "must not repeat"),
                           (("x",), "rates must be numbers"), ((), "number of items in rates")]:
        with pytest.raises(ValueError, match=message):
            D.Config(rates=rates)
    with pytest.raises(ValueError, match="dataset must be one of: digits"):
        D.Config(dataset="moons")


def test_the_kind_picks_activation_and_initializer():
    alpha = D.Config(kind="alpha_dropout").spec(0.1)
    assert (alpha.activation, alpha.init) == ("selu", "lecun_normal")
    assert (alpha.dropout, alpha.dropout_p) == ("alpha_dropout", 0.1)
    assert D.Config().spec(0.0).dropout == "none" and D.Config().spec(0.5).activation == "relu"
    assert D.Config(kind="alpha_dropout").labels() == ["no dropout", "alpha dropout 0.2", "alpha dropout 0.5"]


def test_a_run_trains_each_rate_from_the_same_start_and_hands_on_the_weights():
    config = D.Config(**SMALL)
    records = list(D.run(config))
    train = [r for r in records if r.get("kind") == "train"]
    assert {r["run"] for r in train} == {"no dropout", "dropout 0.5"} and all(r["train_size"] == 60 for r in train)
    assert all(r["train_eval_acc"] is not None and r["train_eval_loss"] is not None for r in train)
    starts = [r["val_loss"] for r in train if r["step"] == 0]
    assert starts[0] == pytest.approx(starts[1])  # the same initial weights (dropout is off in eval)
    trained = D.models(records)
    assert list(trained) == ["no dropout", "dropout 0.5"]
    loaded = data.load("digits")
    for run, rec in trained.items():
        last = [r for r in train if r["run"] == run][-1]
        assert evaluate(D.rebuild(rec, loaded.device), loaded, loaded.valid)[1] == pytest.approx(last["val_acc"])
    gaps = D.gaps(records)
    assert set(gaps["metric"]) == {"loss", "accuracy"} and len(gaps) == 2 * 2 * 3  # 2 runs, epochs 0..2
    summary = D.summary(records).set_index("run")
    assert summary.loc["no dropout", "gap"] == pytest.approx(
        summary.loc["no dropout", "train accuracy"] - summary.loc["no dropout", "validation accuracy"])


def test_the_command_line_writes_json_without_the_weights(tmp_path):
    path = tmp_path / "out.json"
    assert main(["run", "dropout", "--set", "rates=0,0.5", "--set", "epochs=1", "--set", "width=16",
                 "--set", "train_size=60", "--json", str(path)]) == 0
    runs = {r["run"]: r for r in json.loads(path.read_text())["runs"]}
    assert set(runs) == {"no dropout", "dropout 0.5"} and runs["dropout 0.5"]["status"] == "done"
    assert all(rec.get("kind") == "train" for run in runs.values() for rec in run["records"])


def test_the_analysis_of_a_net_without_dropout_has_no_spread():
    config = D.Config(**{**SMALL, "rates": (0.0,)})
    (rec,) = D.models(list(D.run(config))).values()
    an = D.analyse(config, rec, 20)
    assert not an.has_dropout and an.table["mutual_info"].max() < 1e-5
    assert an.accuracy["deterministic"] == pytest.approx(an.accuracy["MC dropout"])
    assert {D.TEST, D.NOISE, D.SHUFFLED} <= set(an.raw)  # and every other cached image set
    frame = D.class_frame(an, D.TEST, 0)
    mc = frame.dropna(subset=["lo"])
    assert len(frame) == 2 * 10 and len(mc) == 10
    assert (mc["lo"] <= mc["value"]).all() and (mc["value"] <= mc["hi"]).all()
    assert [s for s, _ in D.gallery(an, "entropy")] == [D.TEST] * D.GALLERY
    assert len(D.gallery(an, D.NOISE)) == D.GALLERY and D.caption(an, D.NOISE, 3).startswith("#3 → ")


def test_the_charts_take_the_labs_frames():
    config = D.Config(**SMALL)
    records = list(D.run(config))
    an = D.analyse(config, D.models(records)["dropout 0.5"], 10)
    specs = [
        charts.dropout_gaps(D.gaps(records), epochs=config.epochs, runs=config.labels()),
        charts.class_probabilities(D.class_frame(an, D.TEST, 0), classes=list(an.class_names),
                                   estimates=D.CLASS_ESTIMATES),
        charts.ood_uncertainty(D.ood_frame(an), sources=list(an.raw), measures=list(D.MEASURES.values()),
                               max_entropy=D.max_entropy(an)),
        charts.reliability_diagrams(an.reliability, D.ece_frame(an), estimates=list(D.ESTIMATES),
                                    titles=["deterministic", "MC"]),
    ]
    assert [sorted(s["datasets"]) for s in specs] == [
        ["gaps", "zero"], ["probs"], ["ceiling", "ood"], ["bins", "diagonal", "ece"]]
    assert set(specs[2]["datasets"]["ood"]["measure"]) == set(D.MEASURES.values())
    assert specs[3]["datasets"]["ece"]["text"].str.startswith("ECE ").all()
