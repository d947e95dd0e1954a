"""CSV export: one row per report per run, the settings that differ as columns, from the
command line too."""
import io

import pandas as pd

from core import export, frames
from core.__main__ import main
from core.labs.vanishing.config import Config


def _records(run, n, **extra):
    return [{"kind": "train", "run": run, "epoch": float(i), "val_acc": 0.5 + i / 10, "optimizer": "sgd",
             "layers": [{"layer": 1, "grad_norm": 1.0}], **extra} for i in range(n)]


def test_rows_of_several_configs_carry_the_settings_that_differ():
    a, b = Config(seed=1, lr=0.05), Config(seed=2, lr=0.05, optimizer="adam")
    df = export.table(frames.flat, [(a, _records("x", 2) + _records("y", 1)), (b, _records("x", 3))])
    assert len(df) == 6 and list(df["run"]) == ["x", "x", "y", "x", "x", "x"]
    # seed and optimizer differ (optimizer is also a column of the records: the setting keeps its own name)
    assert list(df.columns[:2]) == ["seed", "setting optimizer"] and "lr" not in df.columns
    assert list(df["seed"]) == ["1"] * 3 + ["2"] * 3 and list(df["setting optimizer"])[-1] == "adam"
    assert "grad_norm_1" in df.columns  # per-layer rows become columns
    back = pd.read_csv(io.StringIO(export.csv_text(frames.flat, [(a, _records("x", 2))])))
    assert list(back.columns[:2]) == ["run", "kind"] and len(back) == 2  # one config: nothing varies


def test_the_command_line_writes_the_labs_own_table_as_csv(tmp_path, capsys):
    path = tmp_path / "out.csv"
    code = main(["run", "vanishing", "--set", "depth=2", "--set", "width=8", "--set", "epochs=1",
                 "--set", "runs=relu-he,selu-lecun", "--csv", str(path)])
    assert code == 0 and f"wrote {path}" in capsys.readouterr().out
    df = pd.read_csv(path)
    assert set(df["run"]) == {"ReLU + He", "SELU + LeCun"} and df.columns[0] == "run"
    assert df["epoch_end"].sum() == 4 and (df.groupby("run")["epoch"].max() == 1).all()  # epochs 0 and 1, each run
    assert {"val_acc", "grad_norm_1", "weight_norm_3"} <= set(df.columns)


def test_a_labs_chart_renders_on_the_server_as_png_and_svg_with_its_title():
    from core.charts import learning_curves

    recs = [{"kind": "train", "run": "a", "epoch": float(i), "samples": i, "time": 0.1, "step": i, "train_loss": 1 / (i + 1),
             "val_loss": 1.2 / (i + 1), "train_acc": 0.5, "val_acc": 0.5 + i / 20, "status": "running"} for i in range(4)]
    spec = learning_curves(frames.curves(recs), epochs=4, runs=["a"], status=frames.status(recs))
    svg = export.chart_svg(spec)
    assert svg.startswith("<svg") and "Accuracy" in svg and "cross-entropy loss" in svg
    png = export.chart_png(spec)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 2 * 600 and height > 2 * 240  # two panels side by side, at twice their size
    assert export.chart_title(spec) == "Loss · Accuracy"
