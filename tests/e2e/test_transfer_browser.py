"""The Transfer-learning lab in Chromium: small settings from the address bar, Train, and the test
accuracies of both ways of training B drawn with their spread."""
import re

import pytest

from core.labs.transfer.charts import TEST_TITLE

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 60_000
FRESH = '[data-testid="stElementContainer"]:not([data-stale="true"])'  # not a leftover of the previous run
QUERY = "depth=2&width=16&epochs_a=2&epochs_b=4&freeze_epochs=2&reuse=1&n_examples=20&seeds=3&classes=1,7"


def test_train_then_the_test_accuracy_chart_appears(page, app_url):
    page.goto(f"{app_url}/transfer?{QUERY}")
    page.get_by_role("heading", name="Transfer learning").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "(fresh) => [...document.querySelectorAll(fresh + ' button')].filter(b => b.innerText.trim() === 'Train')"
        ".length === 1", arg=FRESH, timeout=TIMEOUT_MS)
    page.locator(FRESH).get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=TIMEOUT_MS)
    # Vega draws the chart's title into its SVG a moment after the element mounts
    page.wait_for_function(
        "(title) => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] .role-title-text')]"
        ".some(t => t.textContent === title)", arg=TEST_TITLE, timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"Over 3 seeds B on A is")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Task B: 1 (label 0) against 7 (label 1)", exact=False).wait_for(timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 3  # A's curves, B's curves, test accuracy
    assert page.locator('[data-testid="stException"]').count() == 0
