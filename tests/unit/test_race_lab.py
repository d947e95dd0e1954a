"""The Optimizer-race lab: AdamW races with its own weight decay; the leaderboard counts what a
shared vectorized pass can measure per optimizer."""
from core import config as C
from core import labs, optim
from core.labs.optimizer_race import tables
from core.labs.optimizer_race.config import Config
from core.labs.optimizer_race.presets import CHAPTER

LAB = labs.get("optimizer_race")


def _race(**fields: str) -> list[dict]:
    config = C.from_strings(Config, {"depth": "2", "width": "32", "epochs": "2", **fields})
    return [r for r in LAB.run(config) if isinstance(r, dict)]


def test_adamw_carries_decoupled_weight_decay_by_default():
    assert optim.get("adamw").weight_decay == 0.01 and optim.get("adam").weight_decay == 0.0
    assert optim.build("adamw", [optim.torch.nn.Parameter(optim.torch.zeros(1))]).defaults["weight_decay"] == 0.01
    (adamw,) = [e for e in Config(optimizers=("adamw",)).entrants()]
    assert dict(adamw.hyper)["weight_decay"] == 0.01
    assert "adamw:weight_decay=1e-05" in CHAPTER.settings["settings"]  # the chapter's own value, said in its preset


def test_adamw_differs_from_adam_at_equal_rates():
    records = _race(optimizers="adam,adamw", lr_mode="same", lr="0.001", seeds="2")
    finals = {}
    for r in records:
        if r.get("kind") == "train" and r.get("epoch_end"):
            finals[(r["entrant"], r["seed"])] = (r["val_loss"], r["val_acc"], r["train_loss"])
    for seed in (0, 1):
        assert finals[("Adam", seed)] != finals[("AdamW", seed)]
    # with its decay set to 0, AdamW is Adam step for step
    same = _race(optimizers="adam,adamw", lr_mode="same", lr="0.001", settings="adamw:weight_decay=0.0")
    last = {r["entrant"]: r["val_loss"] for r in same if r.get("kind") == "train"}
    assert abs(last["Adam"] - last["AdamW"]) < 1e-6


def test_the_leaderboard_counts_epochs_and_samples_not_a_shared_clock():
    board = tables.leaderboard(_race(optimizers="sgd,adam", seeds="1"), target=0.5)
    assert list(board.columns) == ["optimizer", "status", "best val accuracy", "final train loss",
                                   "epoch to 50%", "samples to 50%"]
    assert not any("second" in c for c in board.columns)
    reached = board.dropna(subset=["samples to 50%"])
    assert len(reached) and (reached["samples to 50%"] > 0).all()
    assert (reached["samples to 50%"] % 32 == 0).all()  # whole batches
