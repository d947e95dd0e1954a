"""Runs repeat exactly: every job draws its randomness (weights, batch order, dropout masks,
Hessian probes) from generators it owns, never from torch's process-wide one."""
import threading

import pytest
import torch
from torch import nn

from core import config as C
from core import data, jobs, labs, models, optim
from core.models import MLPSpec, build_mlp, dropout
from core.race import Entrant, StackedMLPs
from core.train import TrainSpec, train

TIMING = ("time",)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_our_dropout_has_nn_dropouts_statistics(p):
    x = torch.randn(4000, 500, generator=_gen(1)).abs() + 0.5  # no zeros of its own
    ours, theirs = dropout(x, p, _gen()), nn.Dropout(p).train()(x)
    for out in (ours, theirs):
        assert (out == 0).float().mean().item() == pytest.approx(p, abs=0.005)
    kept = ours != 0
    assert torch.allclose(ours[kept], x[kept] / (1 - p))  # survivors scaled by 1/(1-p)
    assert ours.mean().item() == pytest.approx(theirs.mean().item(), rel=0.01)
    assert ours.std().item() == pytest.approx(theirs.std().item(), rel=0.01)


@pytest.mark.parametrize("p", [0.05, 0.1, 0.5])
def test_our_alpha_dropout_has_nn_alpha_dropouts_statistics(p):
    x = torch.randn(4000, 500, generator=_gen(1))
    ours, theirs = dropout(x, p, _gen(), alpha=True), nn.AlphaDropout(p).train()(x)
    for out in (ours, theirs):  # mean 0 and variance 1 are kept
        assert out.mean().item() == pytest.approx(0.0, abs=0.01) and out.std().item() == pytest.approx(1.0, abs=0.01)
    sat = -models.SELU_ALPHA * models.SELU_SCALE  # a dropped unit: SELU's saturation value, then a·x + b
    a = ((1 - p) * (1 + p * sat ** 2)) ** -0.5
    dropped = a * sat - a * sat * p
    for out in (ours, theirs):
        assert (out - dropped).abs().lt(1e-5).float().mean().item() == pytest.approx(p, abs=0.003)


def test_masks_come_from_the_generator_and_leave_the_global_one_alone():
    x = torch.ones(64, 100)
    before = torch.get_rng_state()
    a, b, c = dropout(x, 0.5, _gen(7)), dropout(x, 0.5, _gen(7)), dropout(x, 0.5, _gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), before)


def test_a_models_dropout_layers_draw_from_the_generator_they_are_given():
    model = build_mlp(16, 3, MLPSpec(depth=2, width=32, dropout="dropout", dropout_p=0.5), seed=0).train()
    x = torch.randn(8, 16, generator=_gen())
    models.use_generator(model, _gen(3))
    first = model(x)
    models.use_generator(model, _gen(3))
    assert torch.equal(model(x), first)
    torch.manual_seed(123)  # the global generator plays no part
    models.use_generator(model, _gen(3))
    assert torch.equal(model(x), first)
    assert all(isinstance(m, models.Dropout) for m in model.modules() if "Dropout" in type(m).__name__)


def test_the_race_draws_its_dropout_masks_from_its_own_generator():
    spec = MLPSpec(depth=2, width=64, dropout="dropout", dropout_p=0.5)
    x = torch.randn(32, 16, generator=_gen())
    outs = []
    for _ in range(2):
        race = StackedMLPs(16, 3, spec, [Entrant("sgd", 0.1), Entrant("adam", 1e-3)], [0, 1])
        torch.manual_seed(len(outs))  # a different global state each time changes nothing
        outs.append(race.forward(x))
    assert torch.equal(outs[0], outs[1])
    assert not torch.equal(outs[0], race.forward(x, training=False))
    # each model draws masks of its own: the two entrants start alike (seed 0) but differ after dropout
    assert not torch.equal(outs[0][0], outs[0][2])


def _train_records(spec: TrainSpec, optimizer_model_spec: MLPSpec) -> list[dict]:
    d = data.load("digits")
    model = build_mlp(d.input_dim, d.n_classes, optimizer_model_spec, seed=spec.seed)
    return [{k: v for k, v in r.items() if k not in TIMING} for r in train(model, d, spec)]


def test_training_with_dropout_and_sophia_repeats_and_leaves_the_global_generator_alone():
    net = MLPSpec(depth=2, width=32, dropout="dropout", dropout_p=0.3)
    spec = TrainSpec(epochs=1, optimizer="sophia", lr=0.05, seed=4, report_seconds=0)
    before = torch.get_rng_state()
    first = _train_records(spec, net)
    assert torch.equal(torch.get_rng_state(), before)
    torch.manual_seed(99)
    assert _train_records(spec, net) == first


def test_sophias_probes_come_from_its_generator():
    w = torch.randn(5, 5, generator=_gen())

    def hessian(gen):
        w2 = nn.Parameter(w.clone())
        opt = optim.build("sophia", [w2], lr=0.1, generator=gen)
        x = torch.randn(5, 5, generator=_gen(5))
        loss = (w2 @ x).pow(2).sum() * (w2 ** 2).sum()  # a Hessian that is not diagonal
        (g,) = torch.autograd.grad(loss, [w2], create_graph=True)
        w2.grad = g
        opt.step()
        return opt.state[w2]["hessian"].clone()

    before = torch.get_rng_state()
    assert torch.equal(hessian(_gen(1)), hessian(_gen(1))) and not torch.equal(hessian(_gen(1)), hessian(_gen(2)))
    assert torch.equal(torch.get_rng_state(), before)


def _strip(records):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


def test_two_dropout_jobs_at_once_give_exactly_what_each_gives_alone():
    """The runner as a GPU server runs it (DYNAMICS_MAX_JOBS=2), with a third thread stirring
    torch's global generator all the while."""
    lab = labs.get("dropout")
    configs = [C.from_strings(lab.config, {"rates": "0.0,0.5", "depth": "2", "width": "64", "epochs": "3",
                                           "train_size": "100", "seed": str(s)}) for s in (0, 1)]
    alone = []
    for cfg in configs:
        job = jobs.Runner(max_running=1).submit(lambda stop, cfg=cfg: lab.run(cfg, stop))
        assert job.wait(120) and job.status == "done"
        alone.append(_strip(job.records))
    stirring = threading.Event()

    def stir():
        while not stirring.is_set():
            torch.manual_seed(torch.randint(0, 1000, ()).item())
            torch.rand(1000)

    stirrer = threading.Thread(target=stir, daemon=True)
    stirrer.start()
    try:
        runner = jobs.Runner(max_running=2)
        together = [runner.submit(lambda stop, cfg=cfg: lab.run(cfg, stop)) for cfg in configs]
        assert all(j.wait(120) and j.status == "done" for j in together)
    finally:
        stirring.set()
        stirrer.join()
    assert [_strip(j.records) for j in together] == alone
    assert alone[0] != alone[1]
    for job in together:  # the trained weights came as artifacts, beside plain records
        assert {f"weights/{label}" for label in configs[0].labels()} == set(job.artifacts)
