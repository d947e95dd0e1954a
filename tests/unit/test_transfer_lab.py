"""The transfer lab: tasks A and B from one dataset, B on A's reused layers (copied, frozen, then
unfrozen), B from scratch stacked against one by one, the cache of model A, a tiny full run."""
import importlib
import json

import pytest
import torch

from core import data
from core.__main__ import main
from core.labs.common import load
from core.labs.transfer import cache, tables
from core.labs.transfer.config import METHODS, Config
from core.labs.transfer.tasks import check_classes, sample, task_a, task_b
from core.models import build_mlp
from core.train import train

R = importlib.import_module("core.labs.transfer.run")  # the module (the package's `run` is its function)
TINY = dict(depth=2, width=16, epochs_a=2, epochs_b=3, freeze_epochs=1, reuse=2, n_examples=30, seeds=3)


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def _drain(gen):
    """Run a generator to its end; its return value."""
    while True:
        try:
            next(gen)
        except StopIteration as end:
            return end.value


def test_task_a_and_task_b_split_the_classes(digits):
    held = (3, 7)
    a, b = task_a(digits, held), task_b(digits, held)
    assert a.n_classes == 8 and b.n_classes == 2 and b.class_names == ("3", "7")
    assert a.class_names == tuple(str(c) for c in range(10) if c not in held)
    for split in ("train", "valid", "test"):
        whole, sa, sb = getattr(digits, split), getattr(a, split), getattr(b, split)
        assert len(sa) + len(sb) == len(whole)  # every example in exactly one task
        assert set(sa.y.tolist()) == set(range(8)) and set(sb.y.tolist()) == {0, 1}
        originals = whole.y[torch.isin(whole.y, torch.tensor(held))]
        assert torch.equal(sb.y, (originals == 7).long())  # label 0 is the first class, 1 the second
    # the same standardization as the whole set: A's layers see B's inputs as they saw their own
    assert torch.equal(b.mean, digits.mean) and torch.equal(b.features(b.train.x), digits.features(b.train.x))
    small = sample(b, 25, seed=4)
    assert len(small.train) == 25 and len(small.valid) == len(b.valid) and len(small.test) == len(b.test)
    assert torch.equal(small.train.x, sample(b, 25, seed=4).train.x)
    assert not torch.equal(small.train.x, sample(b, 25, seed=5).train.x)
    assert len(sample(b, 10_000, seed=0).train) == len(b.train)  # N is capped at the pool


def test_a_class_beyond_the_dataset_is_a_clear_error(digits):
    with pytest.raises(ValueError, match=r"digits has classes 0\.\.9, so class 12 does not exist"):
        check_classes(digits, (0, 12))
    with pytest.raises(ValueError, match="must not repeat"):
        Config(classes=(2, 2))
    with pytest.raises(ValueError, match="reuse must be 1..depth"):
        Config(depth=2, reuse=3)
    with pytest.raises(ValueError, match="class 12 does not exist"):
        list(R.run(Config(**{**TINY, "classes": (0, 12)})))


def _trained_a(config, task):
    a = build_mlp(task.input_dim, task.n_classes, config.spec(), seed=config.seed)
    for _ in train(a, task, R.TrainSpec(epochs=1, layer_stats=False)):
        pass
    return a


def test_b_on_a_starts_from_as_layers_and_keeps_them_frozen_then_unfreezes(digits):
    config = Config(**{**TINY, "depth": 3, "reuse": 2, "freeze_epochs": 2, "epochs_b": 4})
    task, pool = task_a(digits, config.classes), task_b(digits, config.classes)
    a = _trained_a(config, task)
    small = sample(pool, 30, seed=1)
    b = R.on_a(config, a, small, seed=1)
    reused = [f"blocks.{i}." for i in range(2)]
    a_state, b_state = a.state_dict(), b.state_dict()
    start = {k: v.clone() for k, v in b_state.items()}
    for k in b_state:
        if k.startswith(tuple(reused)):
            assert torch.equal(b_state[k], a_state[k])  # bit-identical copies
        elif k.startswith("blocks."):
            assert not torch.equal(b_state[k], a_state[k])  # layer 3 is new
    assert not torch.equal(b.head.weight, a.head.weight[:2]) and b.head.out_features == 2
    scratch = R.scratch(config, 1, small)  # the new layers are B from scratch's for the same seed
    assert torch.equal(b.head.weight, scratch.head.weight) and torch.equal(b.blocks[2].linear.weight,
                                                                           scratch.blocks[2].linear.weight)
    for rec in train(b, small, R.b_spec(config, 1, R.ON_A)):
        if not rec["epoch_end"]:
            continue
        now = b.state_dict()
        same = [torch.equal(now[k], start[k]) for k in now if k.startswith(tuple(reused))]
        if rec["epoch"] <= 2:
            assert all(same), rec["epoch"]  # frozen: not one bit moved
        else:
            assert not any(same), rec["epoch"]  # unfrozen after epoch 2: every reused tensor trains
        assert not torch.equal(now["head.weight"], start["head.weight"]) or rec["epoch"] == 0
    assert rec["status"] == "done"


def test_b_from_scratch_stacked_equals_one_by_one(digits):
    config = Config(**{**TINY, "optimizer": "adam", "lr": 0.01, "seeds": 3, "n_examples": 40, "batch_size": 16})
    pool = task_b(digits, config.classes)
    samples = [sample(pool, 40, s) for s in config.b_seeds()]
    out = {how: list(R.from_scratch(config, samples, (0.0, 1.0), lambda: False, stacked=how))
           for how in (True, False)}
    train_recs = {how: sorted(((r["seed"], r["epoch"]), r) for r in recs if r["kind"] == "train")
                  for how, recs in out.items()}
    assert [k for k, _ in train_recs[True]] == [k for k, _ in train_recs[False]]
    assert len(train_recs[True]) == 3 * (config.epochs_b + 1)
    for (_, s), (_, o) in zip(train_recs[True], train_recs[False]):
        assert s["run"] == o["run"] and s["status"] == o["status"] and s["step"] == o["step"]
        assert s["val_loss"] == pytest.approx(o["val_loss"], rel=1e-4, abs=1e-5)
        assert s["val_acc"] == pytest.approx(o["val_acc"], abs=1e-6)
        if s["epoch"] > 0:
            assert s["train_loss"] == pytest.approx(o["train_loss"], rel=1e-4, abs=1e-5)
    tests = {how: {r["seed"]: r for r in recs if r["kind"] == "test"} for how, recs in out.items()}
    assert set(tests[True]) == set(config.b_seeds())
    for seed, rec in tests[True].items():
        assert rec["test_acc"] == pytest.approx(tests[False][seed]["test_acc"], abs=1e-6)
        assert rec["test_loss"] == pytest.approx(tests[False][seed]["test_loss"], rel=1e-4, abs=1e-5)


def test_model_a_comes_from_the_cache_when_only_b_changes(monkeypatch):
    cache.clear()
    calls = []

    def counting(model, data_, spec, **kw):
        calls.append(spec.epochs)
        return train(model, data_, spec, **kw)

    monkeypatch.setattr(R, "train", counting)
    first = list(R.run(Config(**TINY)))
    assert calls == [TINY["epochs_a"]] + [TINY["epochs_b"]] * TINY["seeds"]  # A, then B on A per seed (scratch stacked)
    calls.clear()
    second = list(R.run(Config(**{**TINY, "seeds": 2, "n_examples": 20, "reuse": 1, "epochs_b": 2})))
    assert calls == [2, 2]  # B on A only: A was not trained again
    assert tables.plan(second)["a_cached"] and not tables.plan(first)["a_cached"]
    a_first, a_second = tables.a_records(first), tables.a_records(second)
    assert [r["val_acc"] for r in a_first] == [r["val_acc"] for r in a_second]  # replayed: the chart still shows A
    assert all(r["cached"] for r in a_second) and "from the cache" in a_second[-1]["message"]
    calls.clear()
    list(R.run(Config(**{**TINY, "lr": 0.02})))
    assert calls[0] == TINY["epochs_a"]  # A's learning rate changed: A trains again


def test_a_tiny_run_ends_with_the_summary_and_the_cli_writes_it(tmp_path):
    cache.clear()
    records = list(R.run(Config(**TINY)))
    plan, summary = records[0], records[-1]
    assert plan["kind"] == "plan" and plan["n_examples"] == 30 and not plan["capped"]
    assert summary["kind"] == "summary" and summary["status"] == "done" and summary["progress"] == 1.0
    progress = [r["progress"] for r in records]
    assert progress == sorted(progress)  # A, then B from scratch, then B on A
    runs = {r["run"] for r in records if r.get("kind") == "train"}
    assert runs == {"model A"} | {f"{m} · seed {s}" for m in METHODS for s in (0, 1, 2)}
    tests = tables.tests(records)
    assert len(tests) == 6 and tests["test_acc"].between(0, 1).all()
    spread = tables.spread(records).set_index("method")
    for method, key in ((R.SCRATCH, "scratch"), (R.ON_A, "on_a")):
        accs = tests.loc[tests["method"] == method, "test_acc"]
        assert summary[f"{key}_mean"] == pytest.approx(accs.mean()) == pytest.approx(spread.loc[method, "mean"])
        assert summary[f"{key}_min"] == accs.min() and summary[f"{key}_max"] == accs.max()
        assert summary[f"{key}_std"] == pytest.approx(accs.std())
    assert summary["wins"] + summary["losses"] + summary["ties"] == 3 and summary["first_seed"] == 0
    headline = tables.headline(records)
    assert headline.startswith("B on A ") and "3 seeds, N = 30" in headline and "\n" not in headline
    assert "Seed 0 alone" in tables.verdict(records) and "Over 3 seeds" in tables.verdict(records)
    path = tmp_path / "t.json"
    assert main(["run", "transfer", "--set", "depth=1", "--set", "width=16", "--set", "epochs_a=1", "--set",
                 "epochs_b=2", "--set", "freeze_epochs=1", "--set", "reuse=1", "--set", "seeds=2", "--set",
                 "n_examples=500", "--json", str(path)]) == 0
    out = json.loads(path.read_text())
    kinds = [rec["kind"] for entry in out["runs"] for rec in entry["records"]]
    assert kinds.count("summary") == 1 and kinds.count("test") == 4
    plan = next(rec for entry in out["runs"] for rec in entry["records"] if rec["kind"] == "plan")
    assert plan["capped"] and plan["n_examples"] == plan["n_pool"] < 500 and "holds only" in plan["message"]


def test_a_run_stopped_during_b_ends_cancelled():
    cache.clear()
    seen = []
    records = []
    for rec in R.run(Config(**TINY), stop=lambda: len(seen) > 0):
        records.append(rec)
        if rec.get("method") == R.SCRATCH:
            seen.append(rec)
    ends = [r["status"] for r in records if r.get("status") not in (None, "running")]
    assert "cancelled" in ends and not any(r.get("kind") == "summary" for r in records)


def test_loading_goes_through_the_shared_loader(digits):
    loaded = _drain(load(Config(**TINY), lambda: False))
    assert loaded.n_classes == digits.n_classes
