"""Bring your own data, driven by AppTest: a link naming another visit's upload restores the rest
and asks for the file; an uploaded CSV becomes this session's dataset and trains; a refused file
then changes nothing but its message; an upload the server dropped is said, not failed on."""
from core import data, upload
from tests.app.helpers import open_page
from tests.unit.test_upload import csv_bytes

PAGE = "app_pages/vanishing.py"


def test_upload_a_csv_pick_the_label_and_train_on_it():
    foreign, _ = upload.register(csv_bytes(seed=7), label="species")  # another visit's upload
    at = open_page(PAGE, dataset=foreign, depth="2", width="8", epochs="2", runs="relu-he")
    assert not at.exception
    assert any("uploaded in another visit" in w.value for w in at.warning)
    assert at.session_state["shared.dataset"] == "digits" and at.session_state["vanishing.depth"] == 2
    assert foreign not in at.selectbox(key="shared.dataset").options  # never offered to this session

    at.file_uploader(key="upload.file").set_value(("flowers.csv", csv_bytes(), "text/csv")).run()
    assert at.selectbox(key="upload.label").value == "species"  # the last column, by default
    at.button(key="upload.use").click().run()
    name = at.session_state["shared.dataset"]
    assert name.startswith("upload:") and name != foreign
    assert at.selectbox(key="shared.dataset").value == name
    assert "flowers.csv (uploaded)" in at.selectbox(key="shared.dataset").options
    assert any(s.value.startswith("Chosen: flowers.csv, 100 rows, 2 numeric features, 3 classes") for s in at.success)
    assert any("non-numeric column: 'note'" in c.value for c in at.caption)

    at.button(key="vanishing_job_run").click().run()
    job = at.session_state["vanishing_job"]
    assert job.wait(60) and job.status == "done", job.error
    assert job.config.dataset == name and name in job.key
    at.run()
    assert not at.exception

    at.file_uploader(key="upload.file").set_value(("sheet.csv", b"PK\x03\x04\x00\x00binary", "text/csv")).run()
    assert any("not a CSV file" in e.value for e in at.error)
    assert at.session_state["shared.dataset"] == name and at.session_state["vanishing_job"] is job
    assert at.session_state["vanishing.depth"] == 2 and not at.exception

    data.HELD.clear()  # the server dropped it for newer uploads: said, and digits meanwhile
    at.run()
    assert any("flowers.csv is no longer held" in w.value for w in at.warning)
    assert at.session_state["shared.dataset"] == "digits" and not at.exception
