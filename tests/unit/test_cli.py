"""Headless runner: list, run with --set and --json, exit code 2 with a helpful message."""
import json
import subprocess
import sys

import pytest

from core.__main__ import main


def test_list_prints_fields_defaults_and_limits(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "vanishing: Vanishing gradients" in out
    assert "depth (int) = 20 [1..100]" in out and "relu-he" not in out.split("depth")[1][:10]


def test_run_writes_config_status_and_records(tmp_path, capsys):
    path = tmp_path / "out.json"
    code = main(["run", "vanishing", "--set", "runs=relu-he,relu-naive", "--set", "epochs=1",
                 "--set", "depth=5", "--json", str(path)])
    assert code == 0
    result = json.loads(path.read_text())
    assert result["config"]["depth"] == 5 and result["config"]["runs"] == ["relu-he", "relu-naive"]
    runs = {r["run"]: r for r in result["runs"]}
    assert runs["ReLU + He"]["status"] == "done"
    assert [rec["epoch"] for rec in runs["ReLU + He"]["records"] if rec["epoch_end"]] == [0, 1]
    assert "val_acc" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["run", "nope"], "unknown experiment 'nope'; valid names: "),
    (["run", "vanishing", "--set", "depth=500"], "depth must be 1..100"),
    (["run", "vanishing", "--set", "depth=deep"], "depth must be int"),
    (["run", "vanishing", "--set", "colour=red"], "no field 'colour'"),
    (["run", "vanishing", "--set", "optimizer=sgdd"], "optimizer must be one of: sgd"),
    (["run", "vanishing", "--set", "runs=relu/he"], "valid names"),
    (["run", "vanishing", "--set", "depth"], "key=value"),
])
def test_bad_names_and_values_exit_2_naming_what_is_valid(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_module_entry_point():
    done = subprocess.run([sys.executable, "-m", "core", "run", "vanishing", "--set", "lr=-1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "lr must be" in done.stderr
