"""Records -> frames -> Vega-Lite specs: the right data, fixed definitions, one colour per run."""
import pandas as pd
import pytest

from core import charts, frames
from core.labs.vanishing import charts as vanishing_charts


def _rec(run, epoch, status="running", layers=None, **kw):
    base = {"kind": "train", "run": run, "epoch": float(epoch), "epoch_end": True, "step": int(epoch) * 10,
            "samples": int(epoch) * 320, "time": epoch * 0.1, "train_loss": 1.0 / (epoch + 1),
            "train_acc": 0.5, "val_loss": 1.2 / (epoch + 1), "val_acc": 0.4, "status": status,
            "layers": layers if layers is not None else
            [{"layer": 1, "grad_norm": 0.0, "saturated": 0.9}, {"layer": 2, "grad_norm": 2.0, "saturated": 0.1}]}
    return {**base, **kw}


RECORDS = [
    {"kind": "download", "dataset": "mnist", "bytes": 10, "total": 20, "progress": 0.0},
    _rec("a", 0), _rec("a", 1), _rec("a", 2, status="done"),
    _rec("b", 0), _rec("b", 1, status="diverged", train_loss=None, val_loss=None, val_acc=None, layers=[],
                     diverged_epoch=1, message="diverged at epoch 1"),
]


def test_frames_skip_download_records_and_missing_values():
    curves = frames.curves(RECORDS)
    assert set(curves["run"]) == {"a", "b"} and curves["value"].notna().all()
    assert not ((curves["epoch"] == 0) & (curves["split"] == "train")).any()  # no train point before training
    status = frames.status(RECORDS).set_index("run")
    assert status.loc["a", "status"] == "done" and status.loc["b", "diverged_epoch"] == 1
    latest = frames.latest_layers(RECORDS)
    assert set(latest["run"]) == {"a", "b"}
    assert latest[latest["run"] == "b"]["epoch"].eq(0).all()  # b's last record with layers: epoch 0
    assert list(frames.by_run(RECORDS)) == ["a", "b"]


def test_specs_carry_named_datasets_and_a_fixed_definition():
    curves, status = frames.curves(RECORDS), frames.status(RECORDS)
    first = charts.learning_curves(curves.head(3), epochs=5, runs=["a", "b"], status=status)
    later = charts.learning_curves(curves, epochs=5, runs=["a", "b"], status=status)
    assert {k: v for k, v in first.items() if k != "datasets"} == {k: v for k, v in later.items() if k != "datasets"}
    assert len(later["datasets"]["curves"]) == len(curves)
    assert later["datasets"]["diverged"]["run"].tolist() == ["b"]
    assert later["hconcat"][0]["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 5]


def test_zero_gradients_stay_off_the_log_profile_but_floor_the_heatmap():
    profile = vanishing_charts.grad_profile(frames.latest_layers(RECORDS), runs=["a", "b"])["datasets"]["profile"]
    assert (profile["grad_norm"] > 0).all()
    heat = vanishing_charts.grad_heatmap(frames.layers(RECORDS), runs=["a", "b"])["datasets"]["layers"]
    assert heat["grad_norm"].min() == pytest.approx(vanishing_charts.TINY)


def test_each_run_keeps_its_colour_in_every_chart():
    runs = ["a", "b", "c"]
    specs = [charts.learning_curves(frames.curves(RECORDS), epochs=5, runs=runs)["hconcat"][0]["layer"][0],
             vanishing_charts.grad_profile(frames.latest_layers(RECORDS), runs=runs),
             vanishing_charts.saturation(frames.latest_layers(RECORDS).query("run == 'a'"), runs=runs)]
    scales = [s["encoding"]["color"]["scale"] for s in specs]
    assert scales[0] == scales[1] and scales[0]["domain"] == runs
    assert scales[2]["domain"] == ["a"]  # only "a" has saturation data here
    assert scales[2]["range"] == scales[0]["range"][:1]  # ...in the colour it has everywhere


def test_empty_inputs_give_valid_specs():
    empty = pd.DataFrame(columns=frames.LAYER_COLUMNS)
    assert vanishing_charts.saturation(empty, runs=["a"])["datasets"]["saturation"].empty
    assert charts.learning_curves(frames.curves([]), epochs=1, runs=[])["datasets"]["diverged"].empty
