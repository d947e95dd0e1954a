"""The standalone script ("Get the code") against the app: run in a subprocess on the CPU with the
same thread count, it prints the app's per-epoch validation loss for the same config and seed.

Every script of one test runs in one subprocess (runpy, as `python FILE` runs it) so the suite
pays torch's import once per test.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch

from core import config as C
from core import data, device, labs, optim, schedules, script
from core.labs.runspec import RunSpec
from core.models import MLPSpec, build_mlp
from core.train import TrainSpec, train

ALONE, STACKED = 1e-4, 1e-3  # relative tolerances: trained alone, and stacked on the race engine
SIZE, EPOCHS = 200, 3
DRIVER = """import runpy, sys
for path in sys.argv[1:]:
    print(f"=== {path}", flush=True)
    sys.argv = [path, "--device", "cpu", "--threads", "%d"]
    runpy.run_path(path, run_name="__main__")
"""


@pytest.fixture(autouse=True)
def app_threads():
    """The app's own CPU thread count (core.device.configure_threads), here and in the scripts."""
    before = torch.get_num_threads()
    torch.set_num_threads(device.default_threads())
    yield
    torch.set_num_threads(before)


def run_scripts(paths: list[Path]) -> dict[str, dict[str, dict[int, float]]]:
    """Script -> run label -> epoch -> validation loss, as the scripts print them."""
    out = subprocess.run([sys.executable, "-c", DRIVER % torch.get_num_threads(), *map(str, paths)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    parts = re.split(r"^=== (.+)$", out.stdout, flags=re.M)[1:]  # [path, printed, path, printed, ...]
    return {path: script.read_figures(printed) for path, printed in zip(parts[::2], parts[1::2])}


def app_losses(records: list[dict]) -> dict[str, dict[int, float]]:
    """Run label -> epoch -> validation loss, from the epoch-end records (the restored weights'
    figures after early stopping are left out: the script prints them on a line of their own)."""
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for r in records:
        if isinstance(r, dict) and r.get("epoch_end") and r.get("run") and r.get("status") != "early_stopped":
            out[r["run"]][int(round(r["epoch"]))] = r["val_loss"]
    return out


def assert_agree(app: dict[str, dict[int, float]], mine: dict[str, dict[int, float]], rel: float, what: str) -> None:
    assert set(app) == set(mine), what
    for label, epochs in app.items():
        assert set(epochs) == set(mine[label]), (what, label)
        for epoch, loss in epochs.items():
            assert mine[label][epoch] == pytest.approx(loss, rel=rel), (what, label, epoch)


def variety() -> list[script.Plan]:
    """A run per optimizer, per schedule and interval, per initializer, and per regularizer."""
    base = MLPSpec(1, 12, "relu", init="he_normal")
    plans = [script.Plan(f"opt {name}", base, TrainSpec(epochs=EPOCHS, optimizer=name, lr=optim.get(name).usual_lr,
                                                         seed=1), 0) for name in optim.names()]
    for name in schedules.names():
        for interval in schedules.get(name).intervals:
            settings = (("interval", interval),) if len(schedules.get(name).intervals) > 1 else ()
            plans.append(script.Plan(f"schedule {name} per {interval}", base, TrainSpec(
                epochs=EPOCHS, optimizer="momentum", lr=0.05, schedule=name, schedule_settings=settings), 0))
    from core import init

    for name in init.names():
        plans.append(script.Plan(f"init {name}", MLPSpec(2, 12, "leaky_relu", init=name), TrainSpec(epochs=EPOCHS), 2))
    specs = {"dropout": RunSpec("", "relu", "he_normal", dropout="dropout", dropout_p=0.3),
             "alpha dropout last": RunSpec("", "selu", "lecun_normal", dropout="alpha_dropout", dropout_p=0.2,
                                           dropout_last=1),
             "bn before": RunSpec("", "tanh", "glorot_uniform", norm="batchnorm_before"),
             "bn after": RunSpec("", "elu", "he_uniform", norm="batchnorm_after", clip=0.5),
             "layer norm": RunSpec("", "gelu", "he_normal", norm="layernorm"),
             "decay l1 l2 maxnorm": RunSpec("", "swish", "he_normal", weight_decay=0.01, l1=1e-4, l2=1e-3, max_norm=1.5),
             "relu2 adamw": RunSpec("", "relu2", "he_normal", optimizer="adamw", lr=1e-3)}
    for label, spec in specs.items():
        plans.append(script.Plan(label, spec.mlp(2, 12), TrainSpec(epochs=EPOCHS, seed=3,
                                                                  **spec.training("sgd", 0.05)), 3))
    plans.append(script.Plan("early stop", base, TrainSpec(epochs=6, optimizer="sgd", lr=3.0, patience=1), 4))
    return plans


def test_every_optimizer_schedule_initializer_and_regularizer_reproduces_the_app(tmp_path):
    plans = variety()
    d = data.load("digits", seed=5, size=SIZE)
    app: dict[str, dict[int, float]] = defaultdict(dict)
    for plan in plans:
        model = build_mlp(d.input_dim, d.n_classes, plan.mlp, seed=plan.init_seed)
        for r in train(model, d, plan.train):
            if r["epoch_end"] and r["status"] != "early_stopped":
                app[plan.label][int(round(r["epoch"]))] = r["val_loss"]
    path = tmp_path / "variety.py"
    path.write_text(script.render(script.Script("Variety", "python -m core run -", script.DataPlan("digits", 5, SIZE),
                                                tuple(plans))))
    assert_agree(app, run_scripts([path])[str(path)], ALONE, "variety")
    assert len(app["early stop"]) < 7  # it did stop early


def lab_configs() -> list[tuple[str, object, float]]:
    """(name, config, tolerance) for every lab and part that offers a script, at its smoke
    settings trained for EPOCHS epochs."""
    out = []
    for lab in labs.all_labs():
        stacked = lab.name in ("optimizer_race", "lr_sweep", "schedules")
        if lab.script is not None:
            fields = {"epochs": str(EPOCHS)} if "epochs" in lab.fields() else {}
            own = {k: v for k, v in lab.smoke.items() if k in {f.name for f in C.fields(lab.config)}}
            out.append((lab.name, C.from_strings(lab.config, {**own, **fields}), STACKED if stacked else ALONE))
        for name, part in lab.parts.items():
            if part.script is not None:
                own = {k: v for k, v in lab.smoke.items() if k in {f.name for f in C.fields(part.config)}}
                out.append((f"{lab.name}.{name}", C.from_strings(part.config, {**own, "train_epochs": str(EPOCHS)}),
                            ALONE))
    return out


def uploaded(tmp_path: Path) -> tuple[str, object, float]:
    """The deep-net lab on a CSV uploaded to the server (its script reads the file beside it)."""
    from core import upload
    from core.labs.deepnet.config import Config

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    rows = ["a,b,kind,c"] + [f"{a:.4f},{b:.4f},{'yes' if a + b > 0 else 'no'},{c:.4f}" for a, b, c in x]
    raw = ("\n".join(rows[:50] + ["0.1,,no,0.2"] + rows[50:]) + "\n").encode()  # a row with a gap is dropped
    (tmp_path / "mine.csv").write_bytes(raw)
    name, _ = upload.register(raw, label="kind", filename="mine.csv")
    return "deepnet on an upload", Config(dataset=name, runs=("plain",), depth=2, width=8, epochs=EPOCHS), ALONE


def test_every_lab_script_reproduces_its_run(tmp_path):
    configs = lab_configs() + [uploaded(tmp_path)]
    assert {n for n, _, _ in configs} >= {"vanishing", "activations", "deepnet", "optimizer_race", "schedules",
                                            "dropout", "landscape", "variance.train", "transfer"}
    paths, app = [], {}
    for name, config, _ in configs:
        path = tmp_path / f"{name.replace(' ', '_')}.py"
        path.write_text(labs.script_of(config)(config))
        paths.append(path)
        app[str(path)] = app_losses(list(run_of(config)(config)))
    printed = run_scripts(paths)
    for (name, _, rel), path in zip(configs, paths):
        assert_agree(app[str(path)], printed[str(path)], rel, name)


def run_of(config: object):
    """The run of the lab or part whose config `config` is."""
    lab, part = labs.owner(config)
    return lab.part(part).run if part else lab.run


def test_the_script_is_plain_and_spells_out_its_settings():
    from core.labs.deepnet.config import Config

    text = labs.script_of(Config())(Config(runs=("plain", "alpha"), epochs=4))
    compile(text, "deepnet.py", "exec")
    assert "import core" not in text and "from core" not in text  # standalone: torch, numpy, scikit-learn
    assert "torch.optim.NAdam" in text and "epochs=4" in text and "alpha=True" in text
    assert "python -m core run deepnet --set epochs=4 --set runs=plain,alpha" in text
    assert "lr_scheduler" not in text  # only the pieces the runs use are written


def test_the_command_line_writes_the_script_without_training_or_says_why_not(tmp_path, capsys):
    from core.__main__ import main

    out = tmp_path / "v.py"
    assert main(["run", "vanishing", "--set", "runs=relu-he", "--set", "epochs=2", "--script", str(out)]) == 0
    compile(out.read_text(), "v.py", "exec")
    assert "epoch" not in capsys.readouterr().out.replace("epochs", "")  # no training line printed
    assert main(["run", "variance", "--script", str(tmp_path / "m.py")]) == 2
    assert "no standalone script is offered for variance: it is not a training run" in capsys.readouterr().err
