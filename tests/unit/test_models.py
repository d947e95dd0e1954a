"""MLP builder: shapes, limits, normalization and dropout placement, capture."""
import pytest
import torch
from torch import nn

from core.models import DROPOUTS, NORMS, Dropout, MLPSpec, build_mlp, dropout_layers


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("dropout", DROPOUTS)
def test_every_variant_builds_and_runs(norm, dropout):
    model = build_mlp(10, 3, MLPSpec(depth=4, width=16, norm=norm, dropout=dropout, dropout_p=0.2))
    captured: list[torch.Tensor] = []
    out = model(torch.randn(8, 10), capture=captured)
    assert out.shape == (8, 3)
    assert len(captured) == 4 and all(h.shape == (8, 16) for h in captured)
    assert len(model.linears) == 5 and model.linears[-1] is model.head
    has = lambda cls: any(isinstance(m, cls) for m in model.modules())  # noqa: E731
    assert has(nn.BatchNorm1d) == norm.startswith("batchnorm")
    assert has(nn.LayerNorm) == (norm == "layernorm")
    assert not has(nn.Dropout) and not has(nn.AlphaDropout)  # our own, whose masks come from the job's generator
    drops = dropout_layers(model)
    assert drops == [m for m in model.modules() if isinstance(m, Dropout)]
    assert [(d.p, d.alpha) for d in drops] == ([] if dropout == "none" else [(0.2, dropout == "alpha_dropout")] * 4)


def test_batchnorm_before_or_after_the_activation():
    before = build_mlp(4, 2, MLPSpec(depth=1, width=8, activation="tanh", norm="batchnorm_before"))
    after = build_mlp(4, 2, MLPSpec(depth=1, width=8, activation="tanh", norm="batchnorm_after"))
    assert [type(m) for m in before.blocks[0].body] == [nn.Linear, nn.BatchNorm1d, nn.Tanh]
    assert [type(m) for m in after.blocks[0].body] == [nn.Linear, nn.Tanh, nn.BatchNorm1d]


def test_bias_off_and_seeded_init():
    a = build_mlp(5, 2, MLPSpec(depth=3, width=7, bias=False), seed=3)
    b = build_mlp(5, 2, MLPSpec(depth=3, width=7, bias=False), seed=3)
    assert all(layer.bias is None for layer in a.linears)
    assert all(torch.equal(x.weight, y.weight) for x, y in zip(a.linears, b.linears))


@pytest.mark.parametrize("kw,match", [
    ({"depth": 0}, "depth"), ({"depth": 101}, "depth"), ({"width": 2000}, "width"),
    ({"activation": "nope"}, "activation"), ({"init": "nope"}, "initializer"),
    ({"norm": "groupnorm"}, "norm"), ({"dropout": "drop"}, "dropout"), ({"dropout_p": 1.0}, "dropout_p"),
])
def test_limits_are_checked(kw, match):
    with pytest.raises(ValueError, match=match):
        MLPSpec(**kw)


def test_depth_100_width_1024_builds():
    model = build_mlp(64, 10, MLPSpec(depth=100, width=1024))
    assert len(model.linears) == 101


def test_capture_pre_gives_the_linear_outputs():
    model = build_mlp(6, 2, MLPSpec(depth=3, width=5, activation="tanh"))
    pre, post = [], []
    x = torch.randn(4, 6)
    out = model(x, capture=post, capture_pre=pre)
    torch.testing.assert_close(out, model(x))
    torch.testing.assert_close(pre[0], model.linears[0](x))
    torch.testing.assert_close(post[0], torch.tanh(pre[0]))


def test_server_thread_count(monkeypatch):
    from core import device

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv(device.THREADS_ENV, raising=False)
        assert device.configure_threads(cores=2) == 1 and torch.get_num_threads() == 1
        assert device.configure_threads(cores=8) == 4
        monkeypatch.setenv(device.THREADS_ENV, "3")
        assert device.configure_threads(cores=2) == 3
    finally:
        torch.set_num_threads(before)
