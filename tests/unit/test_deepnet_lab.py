"""The Deep-net lab: its run specs, the decision-boundary grid, a run end to end, and the
session's run table."""
import dataclasses

import numpy as np
import pytest
import torch

from core import data, jobs
from core.history import RunTable
from core.jobs import Artifact
from core.labs.deepnet import boundary, tables
from core.labs.deepnet.config import CHAPTER, Config, parse_run
from core.labs.deepnet.run import run
from core.labs.vanishing.config import Config as vanishing_config
from core.models import Dropout, MLPSpec, build_mlp


@pytest.mark.parametrize("text", ["relu/he_normal/norm=batchnorm_after/alpha_dropout=0.1/drop_last=1/wd=0.0001/"
                                  "l1=1e-05/l2=0.001/maxnorm=2.0/schedule=onecycle", *CHAPTER])
def test_run_specs_round_trip_through_their_text(text):
    spec = parse_run(text)
    assert dataclasses.replace(parse_run(spec.text()), label=spec.label) == spec


@pytest.mark.parametrize("text, match", [("relu/he_normal/wd=2", "wd .* must be 0..1"),
                                         ("relu/he_normal/drop_last=x", "drop_last .* must be int"),
                                         ("relu/he_normal/schedule=nope", "schedule")])
def test_bad_run_specs_say_what_is_wrong(text, match):
    with pytest.raises(ValueError, match=match):
        parse_run(text)


def test_the_same_configuration_twice_is_refused():
    with pytest.raises(ValueError, match="listed twice"):
        Config(runs=("selu", "selu/lecun_normal"))


def test_dropout_after_the_last_layers_only():
    spec = parse_run("alpha").mlp(20, 100)
    model = build_mlp(64, 10, spec)
    dropped = [i for i, b in enumerate(model.blocks) if isinstance(b.drop, Dropout)]
    assert dropped == [19] and model.blocks[19].drop.alpha
    assert len([b for b in build_mlp(64, 10, MLPSpec(4, 8, dropout="dropout", dropout_p=0.2)).blocks
                if isinstance(b.drop, Dropout)]) == 4


@pytest.fixture(scope="module")
def moons():
    return data.load("moons", size=200, noise=0.3)


@pytest.mark.parametrize("norm, drop", [("batchnorm_before", "dropout"), ("none", "none")])
def test_the_boundary_grid_is_the_models_own_prediction_at_its_cells(moons, norm, drop):
    model = build_mlp(2, 2, MLPSpec(3, 16, norm=norm, dropout=drop, dropout_p=0.3 if drop != "none" else 0.0), seed=1)
    model.train()
    bounds = boundary.extent(moons)
    grid = boundary.grid(model, moons, bounds)
    assert model.training  # left as it was found
    assert grid["p"].shape == (boundary.GRID ** 2,)
    cx = (grid["x"] + grid["x2"]) / 2
    cy = (grid["y"] + grid["y2"]) / 2
    model.eval()
    with torch.no_grad():
        for i in [0, 7, 555, 1599]:  # one point at a time, through the model's own forward
            point = torch.tensor([[cx[i], cy[i]]], dtype=torch.float32)
            p1 = model(moons.features(point)).softmax(1)[0, 1].item()
            assert p1 == pytest.approx(float(grid["p"][i]), abs=1e-6)
    x = torch.cat([moons.train.x, moons.valid.x, moons.test.x]).numpy()
    assert (grid["x"].min() < x[:, 0].min()) and (grid["y2"].max() > x[:, 1].max())  # the grid covers the data


def test_a_run_on_a_2d_set_keeps_the_latest_grid_per_run():
    config = Config(dataset="moons", size=200, depth=3, width=16, epochs=2, runs=("plain", "relu/he_normal/maxnorm=1.0"))
    out = list(run(config))
    grids = [o for o in out if isinstance(o, Artifact) and o.name.startswith("grid/")]
    records = [o for o in out if isinstance(o, dict)]
    assert {g.name for g in grids} == {"grid/plain: Swish + He", "grid/ReLU + He normal, max-norm 1"}
    assert len(grids) == len([r for r in records if r.get("kind") == "train"])  # one per report, each replacing the last
    assert sum(isinstance(o, Artifact) and o.name == "points" for o in out) == 1
    summary = tables.summary(records)
    assert list(summary["status"]) == ["done", "done"] and summary["near-zero weights"].between(0, 1).all()
    last = [r for r in records if r["run"].startswith("ReLU")][-1]
    assert max(row["weight_norm"] for row in last["layers"]) <= 16 ** 0.5 + 1e-4  # 16 rows of norm <= 1 at most


def _recs(run, acc):
    return [{"kind": "train", "run": run, "epoch": 1.0, "epoch_end": True, "step": 1, "samples": 1, "time": 0.1,
             "val_acc": acc, "val_loss": 1 - acc, "status": "done", "layers": []}]


def _job(config, accs, artifacts=None):
    """A finished job of `config` whose runs reached validation accuracies `accs`."""
    records = [r for spec, acc in zip(config.specs(), accs) for r in _recs(spec.label, acc)]
    job = jobs.restored(records, label="deepnet", config=config, status="done", finished=1.0)
    job.artifacts = artifacts or {}
    return job


def test_the_run_table_keeps_runs_of_every_job_with_unique_labels_and_a_limit():
    table = RunTable(limit=3)
    plain, both = Config(runs=("plain",)), Config(runs=("plain", "bn"))
    a = _job(both, [0.9, 0.95], {"grid/plain: Swish + He": {"p": np.zeros(4)}})
    assert table.track(a, panel="deepnet", keep=("grid/{run}",)) == []
    assert table.track(a, panel="deepnet") == []  # tracked once
    b = _job(plain, [0.8])
    table.track(b, panel="deepnet")
    lines = table.of("deepnet")
    assert [e.label for e in lines] == ["plain: Swish + He", "+ batch norm", "plain: Swish + He #2"]
    assert lines[0].kept["grid/plain: Swish + He"]["p"].shape == (4,) and lines[1].config == both.specs()[1].text()
    table.show("deepnet", {"+ batch norm", "plain: Swish + He #2"})
    acc = table.gather(table.of("deepnet", shown_only=True), tables.summary).set_index("run")["validation accuracy"]
    assert acc.to_dict() == {"+ batch norm": 0.95, "plain: Swish + He #2": 0.8}
    table.track(_job(plain, [0.7]))
    notices = table.track(_job(plain, [0.6]))  # a fourth job: the first goes, with both its runs
    assert [e.label for e in table.of("deepnet")] == ["plain: Swish + He #2", "plain: Swish + He #3",
                                                      "plain: Swish + He #4"]
    assert notices == ["Run #1 (Deep nets) was dropped from the history: a session keeps the latest 3 runs of "
                       "each lab."]
    vanishing = vanishing_config(runs=("relu-he",))
    table.track(jobs.restored(_recs("ReLU + He", 0.5), label="vanishing", config=vanishing, status="done",
                              finished=1.0))
    table.clear("deepnet")
    assert not table.of("deepnet") and [e.label for e in table.of("vanishing")] == ["ReLU + He"]
