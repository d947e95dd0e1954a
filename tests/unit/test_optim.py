"""The optimizer registry: every entry builds and learns at its usual rate, names and settings
are checked, fused kernels are used where torch has them, and Sophia gets its Hessian."""
import pytest
import torch
import torch.nn.functional as F

from core import optim


def _problem(seed: int = 0):
    """A seeded 3-class problem on 8 features and a small MLP for it."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(128, 8, generator=g)
    y = (x @ torch.randn(8, 3, generator=g)).argmax(1)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    return model, x, y


def _step(opt, model, x, y, needs_hessian: bool) -> float:
    """One full-batch step, as core.train takes it (create_graph when the step wants a Hessian)."""
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    if needs_hessian and optim.hessian_due(opt):
        params = list(model.parameters())
        for p, g in zip(params, torch.autograd.grad(loss, params, create_graph=True)):
            p.grad = g
    else:
        loss.backward()
    opt.step()
    for p in model.parameters():
        p.grad = None  # drops any graph the gradients held
    return loss.item()


@pytest.mark.parametrize("name", optim.names())
def test_every_entry_builds_steps_and_lowers_the_loss_at_its_usual_rate(name):
    spec = optim.get(name)
    model, x, y = _problem()
    opt = optim.build(name, model.parameters(), generator=torch.Generator().manual_seed(0))  # Sophia's probes
    assert opt.param_groups[0]["lr"] == spec.usual_lr and isinstance(opt, spec.cls)
    before = [p.detach().clone() for p in model.parameters()]
    losses = [_step(opt, model, x, y, spec.needs_hessian) for _ in range(25)]
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert losses[-1] < losses[0], losses


def test_an_unknown_name_raises_listing_the_valid_ones():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'") as err:
        optim.build("adamm", torch.nn.Linear(2, 2).parameters())
    assert all(name in str(err.value) for name in optim.names())


@pytest.mark.parametrize("name", ["sgd", "adam", "lion", "sophia"])
def test_an_unknown_setting_raises_naming_the_valid_ones(name):
    # pytorch-optimizer's classes take **kwargs and would keep a misspelt setting silently
    with pytest.raises(ValueError, match="takes no setting 'bettas'") as err:
        optim.build(name, torch.nn.Linear(2, 2).parameters(), bettas=(0.9, 0.99))
    valid = optim.settable(name)
    assert valid and all(v in str(err.value) for v in valid)
    assert not {"params", "lr", "weight_decay", "foreach", "fused"} & set(valid)  # build's own arguments


def test_overrides_reach_the_optimizer():
    params = list(torch.nn.Linear(2, 2).parameters())
    assert optim.build("adam", params, betas=(0.8, 0.9)).defaults["betas"] == (0.8, 0.9)
    assert optim.build("lion", params, betas=(0.95, 0.98)).defaults["betas"] == (0.95, 0.98)
    assert optim.build("nesterov", params, momentum=0.5).defaults["momentum"] == 0.5
    assert optim.build("sophia", params, update_period=3).update_period == 3
    wd = optim.build("lamb", params, lr=0.02, weight_decay=0.1).defaults
    assert (wd["lr"], wd["weight_decay"]) == (0.02, 0.1)


@pytest.mark.parametrize("name", optim.names())
def test_editable_defaults_are_what_the_optimizer_uses(name):
    spec = optim.get(name)
    assert set(spec.editable) <= set(optim.settable(name))
    assert all(spec.editable[k] == v for k, v in spec.hyper.items() if k in spec.editable)
    opt = optim.build(name, torch.nn.Linear(2, 2).parameters())
    for key, default in spec.editable.items():
        # SophiaH keeps update_period on the optimizer, not in its defaults
        used = opt.defaults[key] if key in opt.defaults else getattr(opt, key)
        assert used == default, key


@pytest.mark.parametrize("name", optim.names())
def test_fused_kernel_where_torch_has_one_else_foreach(name):
    spec = optim.get(name)
    opt = optim.build(name, torch.nn.Linear(2, 2).parameters())
    if spec.fused:
        assert opt.defaults.get("fused") is True
    else:
        assert not opt.defaults.get("fused") and opt.defaults.get("foreach") is True


def test_source_names_where_the_class_comes_from():
    for name, spec in optim.OPTIMIZERS.items():
        cls = spec.cls
        if cls.__module__ == optim.__name__:  # our subclass of a package's class (Sophia-H: probes from a generator)
            cls = cls.__mro__[1]
        package = cls.__module__.split(".")[0]
        assert (spec.source, package) in [(optim.TORCH, "torch"), (optim.EXTRA, "pytorch_optimizer")], name
    extra = [n for n, s in optim.OPTIMIZERS.items() if s.source == optim.EXTRA]
    assert extra == ["lion", "adan", "lamb", "adabelief", "sophia"]
    assert [n for n, s in optim.OPTIMIZERS.items() if s.needs_hessian] == ["sophia"]
    assert [n for n, s in optim.OPTIMIZERS.items() if s.cls.__module__ == optim.__name__] == ["sophia"]


def test_sophia_estimates_the_hessian_every_update_period_steps_from_the_gradients_graph():
    model, x, y = _problem()
    opt = optim.build("sophia", model.parameters(), update_period=3)
    due = []
    for _ in range(6):
        due.append(optim.hessian_due(opt))
        _step(opt, model, x, y, needs_hessian=True)
    assert due == [True, False, False, True, False, False] and optim.hessian_due(opt)
    # a due step after a plain backward has no graph to differentiate
    F.cross_entropy(model(x), y).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        opt.step()
