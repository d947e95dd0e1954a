"""Headless runner: list, run NAME[.PART] with --set and --json, exit code 2 with a helpful message."""
import json
import re
import subprocess
import sys

import pytest

from core.__main__ import main


def test_list_prints_fields_defaults_and_limits(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "vanishing: Vanishing gradients" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("vanishing: "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    depth = [line for line in lines[start + 1:end] if line.startswith("  depth ")]
    assert len(depth) == 1, depth
    match = re.fullmatch(r"  depth \((\w+)\) = (\S+) \[(\S+)\.\.(\S+)\]  (.+)", depth[0])
    assert match, depth[0]
    kind, default, lo, hi, help_ = match.groups()
    assert (kind, int(default), int(lo), int(hi)) == ("int", 20, 1, 100) and help_ == "hidden layers"


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
    (["run", "nope"], "unknown lab 'nope'; valid names: "),
    (["run", "schedules.nope", "--set", "steps=10"], "lab 'schedules' has no part 'nope'; parts: finder"),
    (["run", "vanishing.finder"], "lab 'vanishing' has no part 'finder'; parts: none"),
    (["run", "schedules", "--set", "steps=10"], "no field 'steps'"),  # the range test's field, not the race's
    (["run", "vanishing", "--set", "depth=500"], "depth must be 1..100"),
    (["run", "vanishing", "--set", "depth=deep"], "depth must be int"),
    (["run", "vanishing", "--set", "colour=red"], "no field 'colour'"),
    (["run", "vanishing", "--set", "optimizer=sgdd"], "optimizer must be one of: sgd"),
    (["run", "vanishing", "--set", "runs=relu/he"], "valid names"),
    (["run", "vanishing", "--set", "depth"], "field=value"),
])
def test_bad_names_and_values_exit_2_naming_what_is_valid(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_module_entry_point():
    done = subprocess.run([sys.executable, "-m", "core", "run", "vanishing", "--set", "lr=-1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "lr must be" in done.stderr


def test_module_entry_point_runs_a_part(tmp_path):
    path = tmp_path / "finder.json"
    done = subprocess.run([sys.executable, "-m", "core", "run", "schedules.finder", "--set", "steps=10",
                           "--json", str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "suggested:" in done.stdout and f"wrote {path}" in done.stdout
    result = json.loads(path.read_text())
    assert result["experiment"] == "schedules.finder" and result["settings"]["steps"] == "10"
    assert result["config"]["steps"] == 10 and result["config"]["start_lr"] == 1e-5
    (run,) = result["runs"]
    assert run["status"] == "done"
    points = [r for r in run["records"] if r["kind"] == "finder"]
    lrs = [r["lr"] for r in points]
    assert 6 <= len(points) <= 10 and lrs == sorted(lrs) and lrs[0] == pytest.approx(1e-5)
    assert run["records"][-1]["kind"] == "result" and run["records"][-1]["suggestions"]
