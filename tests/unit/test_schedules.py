"""Schedules: the pure formulas equal PyTorch's schedulers step for step, and each is stepped
per batch or per epoch as it says."""
import math

import pytest
import torch

from core import schedules

EPOCHS, SPE = 12, 7
LOSSES = schedules.simulated_losses(EPOCHS, plateau_at=4, seed=3)
CASES = [(name, interval) for name in schedules.names() for interval in schedules.get(name).intervals]
VARIANTS = {  # non-default settings that reach other branches
    "step": {"step_size": 2.5, "gamma": 0.3},
    "multistep": {"milestones": (1.0, 4.0, 4.5)},
    "exponential": {"gamma": 0.7},
    "polynomial": {"power": 2.0},
    "cosine": {"min_factor": 0.1},
    "cosine_restarts": {"T_0": 1.0, "T_mult": 1},
    "warmup_cosine": {"warmup": 3.0, "start_factor": 0.1},
    "onecycle": {"pct_start": 0.5, "div_factor": 10.0},
    "noam": {"d_model": 64, "warmup": 2.0},
    "plateau": {"patience": 0, "cooldown": 1, "factor": 0.3},
    "warmup_plateau": {"warmup": 2.0, "patience": 1},
}


@pytest.mark.parametrize("name,interval", CASES)
@pytest.mark.parametrize("variant", [False, True])
def test_the_formula_equals_pytorchs_scheduler_step_for_step(name, interval, variant):
    params = VARIANTS.get(name, {}) if variant else {}
    kw = dict(base_lr=0.05, epochs=EPOCHS, steps_per_epoch=SPE, interval=interval, losses=LOSSES, **params)
    torch_lrs, pure = schedules.curve(name, **kw), schedules.formula(name, **kw)
    assert len(torch_lrs) == len(pure) == EPOCHS * SPE
    assert pure == pytest.approx(torch_lrs, rel=1e-6, abs=1e-12), name


def test_per_epoch_stepping_is_a_staircase_and_per_batch_is_smooth():
    by_epoch = schedules.curve("exponential", base_lr=1.0, epochs=3, steps_per_epoch=4, interval="epoch")
    by_batch = schedules.curve("exponential", base_lr=1.0, epochs=3, steps_per_epoch=4, interval="batch", gamma=0.9)
    assert by_epoch == pytest.approx([1] * 4 + [0.9] * 4 + [0.81] * 4)
    assert len(set(by_batch)) == 12 and by_batch[4] == pytest.approx(0.9) and by_batch[8] == pytest.approx(0.81)


def test_known_values():
    noam = schedules.formula("noam", base_lr=1.0, epochs=1, steps_per_epoch=10, interval="batch", d_model=16,
                             warmup=0.4)  # 4 warm-up steps
    assert noam[3] == pytest.approx(16 ** -0.5 * 4 ** -0.5) and noam[0] == pytest.approx(16 ** -0.5 * 4 ** -1.5)
    one = schedules.curve("onecycle", base_lr=0.1, epochs=1, steps_per_epoch=100)
    assert one[0] == pytest.approx(0.1 / 25) and max(one) == pytest.approx(0.1, rel=1e-3)
    assert one[-1] == pytest.approx(0.1 / 25 / 1e4, rel=1e-2)
    cos = schedules.curve("cosine_restarts", base_lr=1.0, epochs=6, steps_per_epoch=1, interval="epoch", T_0=2.0)
    assert cos[0] == 1.0 and cos[2] == 1.0 and cos[6 - 1] < cos[2]  # restarts after 2 epochs, then 4


def test_plateau_cuts_only_after_the_loss_stops_improving():
    losses = [1.0, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    lrs = schedules.curve("plateau", base_lr=0.1, epochs=8, steps_per_epoch=1, losses=losses, patience=2)
    assert lrs[:6] == [0.1] * 6 and lrs[6] == pytest.approx(0.05)


def test_onecycle_leaves_plain_sgd_without_momentum():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = schedules.build("onecycle", opt, epochs=2, steps_per_epoch=5)
    opt.step()
    s.after_batch()
    assert opt.param_groups[0]["momentum"] == 0


@pytest.mark.parametrize("bad,match", [
    ({"name": "exponential", "gamma": 2.0}, "gamma must be"),
    ({"name": "plateau", "interval": "batch"}, "stepped per epoch"),
    ({"name": "cosine", "T_0": 2}, "takes"),
    ({"name": "step", "step_size": math.nan}, "step_size must be"),
])
def test_bad_parameters_say_what_is_valid(bad, match):
    bad = dict(bad)
    with pytest.raises(ValueError, match=match):
        schedules.curve(bad.pop("name"), base_lr=0.1, epochs=2, steps_per_epoch=2, **bad)


def test_settings_text_parses_and_checks():
    got = schedules.parse_settings(("onecycle:pct_start=0.25", "multistep:milestones=3;6", "exponential:interval=batch"),
                                   ("onecycle", "multistep", "exponential"))
    assert got == {"onecycle": {"pct_start": 0.25}, "multistep": {"milestones": (3.0, 6.0)},
                   "exponential": {"interval": "batch"}}
    with pytest.raises(ValueError, match="not chosen"):
        schedules.parse_settings(("cosine:min_factor=0.1",), ("step",))
    with pytest.raises(ValueError, match="pct_start must be"):
        schedules.parse_settings(("onecycle:pct_start=2",), ("onecycle",))
