"""The vectorized race: same start and batches for all, and the same numbers as training each
model on its own."""
import pytest
import torch
import torch.nn.functional as F

from core import data, optim
from core.models import MLPSpec, build_mlp
from core.race import Entrant, StackedMLPs, vectorizable

SPEC = MLPSpec(depth=2, width=32, activation="relu", init="he_normal")
CLASSIC = [Entrant("sgd", 0.05), Entrant("momentum", 0.05), Entrant("nesterov", 0.05), Entrant("adagrad", 0.01),
           Entrant("rmsprop", 1e-3), Entrant("adam", 1e-3), Entrant("adamax", 2e-3), Entrant("nadam", 2e-3),
           Entrant("adamw", 1e-3, (("weight_decay", 0.01),)), Entrant("radam", 1e-3)]


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def _batches(d, n_steps: int, batch: int = 32, seed: int = 0):
    perm = torch.randperm(len(d.train), generator=torch.Generator().manual_seed(seed))
    for i in range(n_steps):
        idx = perm[(i * batch) % (len(perm) - batch):][:batch]
        yield d.features(d.train.x[idx]), d.train.y[idx]


def _sequential_losses(d, entrant: Entrant, seed: int, n_steps: int) -> list[float]:
    model = build_mlp(d.input_dim, d.n_classes, SPEC, seed=seed)
    opt = optim.build(entrant.optimizer, model.parameters(), lr=entrant.lr, **dict(entrant.hyper))
    out = []
    for x, y in _batches(d, n_steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out


def test_every_model_starts_from_its_seeds_weights(digits):
    seeds = [0, 1]
    race = StackedMLPs(digits.input_dim, 10, SPEC, CLASSIC[:3], seeds)
    for k in range(race.k):
        seed = seeds[k % len(seeds)]
        expected = [layer.weight for layer in build_mlp(digits.input_dim, 10, SPEC, seed=seed).linears]
        assert all(torch.equal(a, b) for a, b in zip(race.weights_of(k), expected))


def test_optimizers_alias_the_stack_and_backward_accumulates_in_place(digits):
    race = StackedMLPs(digits.input_dim, 10, SPEC, CLASSIC[:2] + [Entrant("lamb", 1e-3)], [0])
    layer = race.layers[0]
    ptr = layer.weight.grad.data_ptr()
    x, y = next(_batches(digits, 1))
    race.step(x, y, torch.ones(race.k, dtype=torch.bool))
    assert layer.weight.grad.data_ptr() == ptr
    # an elementwise optimizer steps the model's whole row of the flat buffer, as one tensor
    (row,) = race.optimizers[1].param_groups[0]["params"]
    assert row.data_ptr() == layer.weight[1].data_ptr() == race.flat[1].data_ptr()
    assert row.grad.data_ptr() == layer.weight.grad[1].data_ptr() and row.is_contiguous()
    # LAMB's trust ratio is per tensor: it steps one leaf per layer, as in a single model
    lamb = race.optimizers[2].param_groups[0]["params"]
    assert [tuple(p.shape) for p in lamb] == [tuple(t.shape[1:]) for l in race.layers for t in (l.weight, l.bias)]
    assert lamb[0].data_ptr() == layer.weight[2].data_ptr() and all(p.is_contiguous() for p in lamb)


@pytest.mark.parametrize("name", [n for n in optim.names() if optim.get(n).elementwise and not optim.get(n).needs_hessian])
def test_an_elementwise_optimizer_steps_a_flat_row_as_it_steps_the_layers(digits, name):
    """The flag `elementwise` is what lets the race step one flat tensor per model: check it
    against the optimizer stepping the model's own parameters, tensor by tensor."""
    entrant = Entrant(name, optim.get(name).usual_lr, (("weight_decay", 0.01),))
    race = StackedMLPs(digits.input_dim, 10, SPEC, [entrant], [0])
    model = build_mlp(digits.input_dim, 10, SPEC, seed=0)
    opt = optim.build(name, model.parameters(), lr=entrant.lr, weight_decay=0.01)
    alive = torch.ones(1, dtype=torch.bool)
    for x, y in _batches(digits, 5):
        race.step(x, y, alive)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for a, b in zip(race.weights_of(0), [l.weight for l in model.linears]):
        torch.testing.assert_close(a, b.detach(), rtol=1e-4, atol=1e-5)


def test_vectorized_equals_sequential_over_20_steps(digits):
    seeds, n_steps = [0, 3], 20
    race = StackedMLPs(digits.input_dim, 10, SPEC, CLASSIC, seeds)
    alive = torch.ones(race.k, dtype=torch.bool)
    stacked = [race.step(x, y, alive)[0].tolist() for x, y in _batches(digits, n_steps)]  # (steps, K)
    for e, entrant in enumerate(CLASSIC):
        for j, seed in enumerate(seeds):
            alone = _sequential_losses(digits, entrant, seed, n_steps)
            mine = [row[e * len(seeds) + j] for row in stacked]
            assert mine == pytest.approx(alone, rel=1e-4, abs=1e-5), entrant.optimizer


def test_dropout_masks_differ_per_model(digits):
    spec = MLPSpec(depth=2, width=32, dropout="dropout", dropout_p=0.5)
    race = StackedMLPs(digits.input_dim, 10, spec, [Entrant("sgd", 0.05)] * 3, [0])
    logits = race.forward(next(_batches(digits, 1))[0])
    assert not torch.equal(logits[0], logits[1])  # same weights, different masks
    clean = race.forward(next(_batches(digits, 1))[0], training=False)
    assert torch.equal(clean[0], clean[1])


def test_a_dead_model_does_not_disturb_the_others(digits):
    race = StackedMLPs(digits.input_dim, 10, SPEC, [Entrant("sgd", 0.05), Entrant("sgd", 1e6)], [0])
    alive = torch.ones(2, dtype=torch.bool)
    for x, y in _batches(digits, 30):
        losses, _ = race.step(x, y, alive)
        alive &= torch.isfinite(losses)
    assert alive.tolist() == [True, False]
    loss, acc = race.evaluate(digits.features(digits.valid.x), digits.valid.y)
    assert torch.isfinite(loss[0]) and acc[0] > 0.5
    alone = _sequential_losses(digits, Entrant("sgd", 0.05), 0, 30)
    assert losses[0].item() == pytest.approx(alone[-1], rel=1e-4)


def test_normalized_nets_are_not_vectorizable():
    assert vectorizable(SPEC) and not vectorizable(MLPSpec(norm="batchnorm_before"))
    with pytest.raises(ValueError, match="cannot be stacked"):
        StackedMLPs(4, 2, MLPSpec(norm="layernorm"), [Entrant("sgd", 0.1)], [0])


def test_final_accuracies_agree_between_the_vectorized_and_the_sequential_path(digits):
    from core.race import train_race
    from core.train import TrainSpec, train

    entrants = [Entrant("sgd", 0.05), Entrant("adam", 1e-3)]
    raced = [r for r in train_race(digits, SPEC, entrants, [0], epochs=3, report_seconds=0) if r["status"] == "done"]
    for rec, entrant in zip(raced, entrants):
        model = build_mlp(digits.input_dim, 10, SPEC, seed=0)
        alone = list(train(model, digits, TrainSpec(epochs=3, optimizer=entrant.optimizer, lr=entrant.lr,
                                                    report_seconds=0, layer_stats=False)))[-1]
        assert rec["val_acc"] == pytest.approx(alone["val_acc"], abs=0.02)
        assert rec["val_loss"] == pytest.approx(alone["val_loss"], rel=0.05)


def test_the_race_experiment_marks_divergence_and_runs_both_paths(tmp_path):
    from core.__main__ import main
    from core.labs.optimizer_race.config import Config
    from core.labs.optimizer_race.run import path, run

    cfg = Config(optimizers=("momentum", "adam"), lr_mode="same", lr=10.0, epochs=2, depth=2, width=32, seeds=2)
    recs = list(run(cfg))
    ends = {r["run"]: r for r in recs if r["status"] != "running"}
    diverged = [r for r in ends.values() if r["status"] == "diverged"]
    assert diverged and all(r["entrant"] == "SGD + momentum" for r in diverged)
    assert all(r["message"].startswith("diverged at epoch") for r in diverged)
    assert ends["Adam (seed 0)"]["status"] == ends["Adam (seed 1)"]["status"] == "done"  # the others race on
    assert {r["path"] for r in recs} == {"vectorized"} and len(ends) == 4
    assert path(Config(norm="batchnorm_before")) == "sequential"
    seq = list(run(Config(optimizers=("sgd",), norm="batchnorm_before", epochs=1, depth=2, width=16)))
    assert seq[-1]["status"] == "done" and seq[-1]["path"] == "sequential"
    out = tmp_path / "race.json"
    assert main(["run", "optimizer_race", "--set", "optimizers=sgd,adam", "--set", "seeds=2", "--set", "epochs=1",
                 "--set", "depth=2", "--json", str(out)]) == 0
    import json
    assert len(json.loads(out.read_text())["runs"]) == 4


@pytest.mark.parametrize("kw,match", [({"optimizers": ()}, "optimizers must be 1..16"),
                                      ({"optimizers": ("sgd", "sgd")}, "repeat"), ({"lr_mode": "fast"}, "lr_mode"),
                                      ({"seeds": 11}, "seeds")])
def test_race_config_limits(kw, match):
    from core.labs.optimizer_race.config import Config

    with pytest.raises(ValueError, match=match):
        Config(**kw)


@pytest.mark.parametrize("name", [n for n in optim.names() if not optim.get(n).needs_hessian])
def test_every_registry_entry_steps_on_the_stack_and_lowers_the_loss(digits, name):
    race = StackedMLPs(digits.input_dim, 10, SPEC, [Entrant(name, optim.get(name).usual_lr)], [0, 1])
    alive = torch.ones(race.k, dtype=torch.bool)
    x_val, y_val = digits.features(digits.valid.x), digits.valid.y
    before, _ = race.evaluate(x_val, y_val)
    for x, y in _batches(digits, 60):
        race.step(x, y, alive)
    after, _ = race.evaluate(x_val, y_val)
    assert (after < before).all(), name


def test_schedules_race_as_they_train_alone(digits):
    """Each entrant's schedule steps as `train` steps it: the same learning rate at every report
    (1cycle per batch, exponential per epoch, ReduceLROnPlateau on each seed's own validation
    loss), and so the same losses."""
    from core.race import train_race
    from core.train import TrainSpec, train

    entrants = [Entrant("sgd", 0.05, label="1cycle", schedule="onecycle"),
                Entrant("sgd", 0.05, label="exp", schedule="exponential", schedule_settings=(("gamma", 0.5),)),
                Entrant("momentum", 0.05, label="plateau", schedule="plateau",
                        schedule_settings=(("patience", 0), ("threshold", 0.5)))]
    seeds = [0, 1]
    raced = [r for r in train_race(digits, SPEC, entrants, seeds, epochs=3, report_seconds=0)]
    for entrant in entrants:
        for seed in seeds:
            mine = [r for r in raced if r["entrant"] == entrant.name and r["seed"] == seed]
            model = build_mlp(digits.input_dim, 10, SPEC, seed=seed)
            alone = list(train(model, digits, TrainSpec(
                epochs=3, optimizer=entrant.optimizer, lr=entrant.lr, report_seconds=0, layer_stats=False,
                schedule=entrant.schedule, schedule_settings=entrant.schedule_settings)))
            assert [r["lr"] for r in mine] == pytest.approx([r["lr"] for r in alone], rel=1e-6), entrant.name
            assert [r["val_loss"] for r in mine] == pytest.approx([r["val_loss"] for r in alone], rel=1e-3)
    plateau = [r["lr"] for r in raced if r["entrant"] == "plateau" and r["seed"] == 0]
    assert plateau[-1] < plateau[0]  # threshold 0.5: no epoch counts as improving, so it cuts


def test_a_stopped_race_ends_each_model_as_cancelled(digits):
    from core.race import train_race

    calls = [0]

    def stop() -> bool:
        calls[0] += 1
        return calls[0] > 5

    recs = list(train_race(digits, SPEC, [Entrant("sgd", 0.05), Entrant("adam", 1e-3)], [0, 1], epochs=2, stop=stop))
    last = {r["run"]: r for r in recs}
    assert len(last) == 4 and all(r["status"] == "cancelled" and "cancelled at epoch 1" in r["message"]
                                  for r in last.values())
