"""Bring your own data in Chromium: a CSV the test writes is uploaded through the sidebar's file
input, its label column picked, and a lab trains on it."""
import re

import pytest

from tests.unit.test_upload import csv_bytes

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000


def test_upload_a_csv_and_train_on_it(page, app_url, tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_bytes(csv_bytes())
    page.goto(f"{app_url}/vanishing?depth=2&width=8&epochs=2&runs=relu-he")
    page.get_by_role("heading", name="Vanishing and exploding gradients").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Your own data (CSV)").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_text("Label column").wait_for(timeout=TIMEOUT_MS)  # the file was read: its columns offered
    page.get_by_role("button", name="Use as dataset").click()
    page.get_by_text(re.compile(r"^Chosen: flowers\.csv, 100 rows")).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => /^upload:[0-9a-f]{12}$/.test(new URL(window.location).searchParams.get('dataset'))",
                           timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=TIMEOUT_MS)
    assert page.get_by_text(re.compile(r"^Run \d+: dataset=upload:")).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
