"""Uploaded CSVs: every refusal says why, a good file becomes a dataset split and standardized
like the bundled ones, trains in two labs, and its name (so every job key) follows its bytes."""
import numpy as np
import pytest
import torch

from core import config as C
from core import data, upload
from core.labs import get


@pytest.fixture(autouse=True)
def fresh():
    data.clear_memory_cache()
    yield
    data.clear_memory_cache()


def csv_bytes(rows: int = 100, seed: int = 0, extra: str = "") -> bytes:
    """Two numeric features, a text column, a label column of three classes named by text."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2)) * [1.0, 10.0] + [0.0, 50.0]
    lines = ["width,height,note,species"] + [f"{a:.4f},{b:.4f},n{i},{('iris', 'rose', 'tulip')[i % 3]}"
                                            for i, (a, b) in enumerate(x)]
    return ("\n".join(lines) + "\n" + extra).encode()


def refused(raw: bytes, label: str = "species", missing: str = "drop") -> str:
    with pytest.raises(upload.UploadError) as exc:
        upload.register(raw, label=label, missing=missing, filename="t.csv")
    return str(exc.value)


def test_a_good_file_is_split_60_20_20_by_seed_and_standardized_on_train_only():
    name, table = upload.register(csv_bytes(), label="species", filename="/home/me/flowers.csv")
    assert name.startswith("upload:") and len(name) == len("upload:") + 12
    assert table.label == "flowers.csv" and table.class_names == ("iris", "rose", "tulip")
    assert table.features == ("width", "height") and "'note'" in table.notes[0]  # listed and skipped
    d = data.load(name, seed=3)
    assert (len(d.train), len(d.valid), len(d.test)) == (60, 20, 20) and d.image_shape is None
    assert d.input_dim == 2 and d.n_classes == 3 and d.class_names == table.class_names
    other = data.load(name, seed=4)
    assert not torch.equal(d.train.x, other.train.x)  # another seed, another split
    torch.testing.assert_close(d.mean, d.train.x.mean(0))  # the train split's statistics alone
    torch.testing.assert_close(d.features(d.train.x).std(0, unbiased=False), torch.ones(2), atol=1e-4, rtol=0)
    assert not torch.allclose(d.mean, d.test.x.mean(0))
    assert data.display_label(name) == "flowers.csv" and data.spec(name).kind == "upload"


BAD_FILES = {
    "empty": (b"", "empty"),
    "blank": (b" \n\n", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
    "ragged": (b"a,b\n1,2\n1,2,3,4\n", "Expected 2 fields in line 3, saw 4"),
    "unnamed column": (b"a,b\n1,2,3\n4,5,6\n", "first row has 3 fields, its header line names 2"),
    "header only": (b"a,b,species\n", "no rows"),
    "one column": (b"a\n1\n2\n", "one column"),
    "too wide": ((",".join(f"c{i}" for i in range(upload.MAX_COLUMNS + 1)) + "\n").encode(), "501 columns"),
    "too large": (b"a,b\n" + b"1,2\n" * (upload.MAX_BYTES // 4), "at most 5 MB"),
}


@pytest.mark.parametrize("raw, says", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_files_that_are_no_table_are_refused_with_the_reason(raw, says):
    assert says in refused(raw)


def test_label_problems_are_refused_with_the_reason():
    assert "no column 'kind'" in refused(csv_bytes(), label="kind")
    one = csv_bytes().replace(b"rose", b"iris").replace(b"tulip", b"iris")
    assert "has one class ('iris')" in refused(one)
    assert "150 different values" in refused(csv_bytes(rows=150), label="width")  # a measurement, not a class
    texts = b"name,species\n" + b"".join(b"x%d,%s\n" % (i, b"ab"[i % 2:i % 2 + 1]) for i in range(60))
    assert "no numeric column besides the label" in refused(texts)
    assert "60 rows" not in refused(csv_bytes(rows=20)) and "20 rows" in refused(csv_bytes(rows=20))


def test_missing_values_are_refused_or_their_rows_dropped_as_chosen():
    gaps = csv_bytes(extra="1.0,,n,iris\n,2.0,n,rose\n3.0,4.0,n,\n")
    assert "3 of 103 rows" in refused(gaps, missing="refuse") and "'width', 'height', 'species'" in refused(
        gaps, missing="refuse")
    name, table = upload.register(gaps, label="species", missing="drop")
    assert len(table.x) == 100 and "Dropped 3 of 103 rows" in table.notes[-1]
    assert name != upload.name(gaps, "species", "refuse")  # the choice is in the name


def test_numbers_as_classes_are_named_as_integers():
    raw = b"x,y\n" + b"".join(b"%d,%s\n" % (i, (b"1.0", b"2.0", b"10.0")[i % 3]) for i in range(60))
    _, table = upload.register(raw, label="y")
    assert table.class_names == ("1", "2", "10")  # sorted by value


def test_two_files_with_the_same_settings_have_different_job_keys():
    lab = get("vanishing")
    a, _ = upload.register(csv_bytes(seed=0), label="species")
    b, _ = upload.register(csv_bytes(seed=1), label="species")
    again, _ = upload.register(csv_bytes(seed=0), label="species")
    keys = [C.key(C.from_strings(lab.config, {"dataset": n})) for n in (a, b, again)]
    assert keys[0] != keys[1] and keys[0] == keys[2] and a[7:] in keys[0]


def test_config_validation_names_what_to_do_for_an_upload_not_held():
    lab = get("vanishing")
    with pytest.raises(ValueError, match="does not hold.*upload the file again"):
        lab.config(dataset="upload:0123456789ab")
    with pytest.raises(ValueError, match="valid names: digits"):
        lab.config(dataset="nope")
    held, _ = upload.register(csv_bytes(), label="species")
    with pytest.raises(ValueError, match="dataset must be one of"):  # image-only labs refuse it
        get("dropout").config(dataset=held)


def test_the_store_is_bounded_and_keeps_the_newest():
    store = data.Held(budget=1)
    _, table = upload.register(csv_bytes(), label="species")
    store.put("upload:a", table)
    store.put("upload:b", table)
    assert store.names() == ["upload:b"]


@pytest.mark.parametrize("lab_name, settings", [
    ("deepnet", {"runs": "plain", "depth": "2", "width": "8", "epochs": "2"}),
    ("optimizer_race", {"optimizers": "sgd,adam", "depth": "1", "width": "8", "epochs": "2", "seeds": "1"}),
])
def test_a_good_file_trains_in_a_lab(lab_name, settings):
    name, _ = upload.register(csv_bytes(), label="species")
    lab = get(lab_name)
    records = [r for r in lab.run(C.from_strings(lab.config, {**settings, "dataset": name})) if isinstance(r, dict)]
    finals = [r for r in records if r.get("status") in ("done", "early_stopped")]
    assert finals and all(r["epoch"] == 2 and 0 <= r["val_acc"] <= 1 for r in finals)


def test_the_command_line_reads_a_csv_path_as_the_dataset(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_bytes(csv_bytes())
    values = upload.resolve({"dataset": f"csv:{path}", "depth": "2"})
    assert values["dataset"] == upload.name(csv_bytes(), "species", "drop") and values["depth"] == "2"
    assert upload.resolve({"dataset": f"csv:{path}#width"})["dataset"] == upload.name(csv_bytes(), "width", "drop")
    with pytest.raises(upload.UploadError, match="cannot read"):
        upload.resolve({"dataset": f"csv:{tmp_path / 'nope.csv'}"})
