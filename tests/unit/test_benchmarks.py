"""The race benchmark runs end to end on a tiny set (figures are not checked here: speed is
measured by running the benchmark itself, never as a timed test)."""
import json

from benchmarks import bench_race


def test_the_race_benchmark_runs_both_sides_to_the_end(tmp_path):
    out = tmp_path / "race.json"
    # a step limit on the many-seed case: both sides end as "cancelled" by the limit
    assert bench_race.main(["--size", "330", "--repeats", "1", "--steps-many", "3", "--seeds", "2",
                            "--large-batch", "0", "--threads", "1", "--json", str(out)]) == 0
    cases = json.loads(out.read_text())["cases"]
    assert set(cases) == {"9x1 b32", "9x2 b32"}
    assert cases["9x1 b32"]["steps_per_run"] == 11 and cases["9x2 b32"]["steps_per_run"] == 3
    assert all(case["seconds"]["race"] > 0 and case["seconds"]["sequential"] > 0 for case in cases.values())


def test_the_landscape_benchmark_runs_the_slice_and_the_hessian_figures(tmp_path):
    from benchmarks import bench_landscape

    out = tmp_path / "landscape.json"
    assert bench_landscape.main(["--points", "5", "--rows", "1", "--repeats", "1", "--epochs", "1", "--eigs", "2",
                                 "--restarts", "20", "--threads", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert set(figures["cases"]) == {"digits", "moons"}
    assert all(c["max_rel_diff"] < 1e-4 and c["seconds"]["batched"] > 0 for c in figures["cases"].values())
    moons = figures["hessian"]["moons"]
    assert moons["hvps"] > 0 and moons["max_gap_relative"] < 1e-3
    assert abs(moons["min_ratio_slq"] - moons["min_ratio_exact"]) < 0.05
    assert "exact_seconds" not in figures["hessian"]["digits"]  # 27,710 weights: Lanczos only


def test_the_sweep_benchmark_runs_both_sides_to_the_end(capsys):
    from benchmarks import bench_sweep

    assert bench_sweep.main(["--optimizers", "sgd", "--points", "5", "--seeds", "1", "--size", "100",
                             "--threads", "1", "--chunks", "2"]) == 0
    out = capsys.readouterr().out
    assert "5 cells" in out and "one at a time" in out and "vectorized" in out and "models a pass" in out
