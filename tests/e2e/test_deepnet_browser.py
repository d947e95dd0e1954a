"""The Deep-nets lab in Chromium: a comparison on a 2-D set draws each run's decision boundary
as it trains; a second run joins the first in the session's table and on the charts."""
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
HEADING = "Deep nets: normalization and regularization"
BOUNDARIES = "Decision boundaries, train points on top"
PANEL_TITLES = """(title) => {
  const chart = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].find(c =>
      [...c.querySelectorAll('.role-title-text')].some(t => t.textContent === title));
  if (!chart) return null;
  return [...chart.querySelectorAll('.role-title-text')].map(t => t.textContent).filter(t => t !== title);
}"""


def _finished(page, count: int) -> None:
    page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => ({PANEL_TITLES})({BOUNDARIES!r})?.length === {count}", timeout=TIMEOUT_MS)


def test_a_comparison_on_moons_draws_boundaries_and_a_second_run_joins_the_table(page, app_url):
    query = "dataset=moons&size=200&noise=0.3&depth=3&width=32&epochs=15&runs=plain,relu/he_normal/wd%3D0.01"
    page.goto(f"{app_url}/deepnet?{query}")
    page.get_by_role("heading", name=HEADING).wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Run", exact=True).click()
    _finished(page, 2)
    assert page.evaluate(PANEL_TITLES, BOUNDARIES) == ["plain: Swish + He", "ReLU + He normal, L2 decay 0.01"]
    assert page.locator('[data-testid="stDataFrame"]').count() == 1  # the run table
    with page.expect_download(timeout=TIMEOUT_MS) as download:  # the records, made when pressed
        page.get_by_role("button", name="Download CSV").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert download.value.suggested_filename == "deepnet.csv" and rows[0].startswith("run,")
    assert len(rows) > 2 * 16  # every report of both runs: epochs 0..15 at least
    page.get_by_role("button", name="Export charts").click()
    with page.expect_download(timeout=TIMEOUT_MS) as download:  # rendered on the server when pressed
        page.get_by_role("button", name="PNG", exact=True).first.click()
    assert download.value.suggested_filename == "deepnet-decision-boundaries-train-points-on-top.png"
    assert Path(download.value.path()).read_bytes()[:4] == b"\x89PNG"
    page.keyboard.press("Escape")
    with page.expect_download(timeout=TIMEOUT_MS) as download:  # the runs as a standalone script
        page.get_by_role("button", name="Get the code").click()
    code = Path(download.value.path()).read_text()
    assert download.value.suggested_filename == "deepnet.py" and "def train(run, data, device, trained):" in code
    compile(code, "deepnet.py", "exec")
    assert page.locator('[data-testid="stException"]').count() == 0

    # in the same session, the list becomes one other configuration: its run joins the two before
    select = page.locator('[data-testid="stMultiSelect"]').first  # the page's one multiselect
    tags = select.locator("[data-tag]")
    for _ in range(6):  # remove the listed configurations one by one (each removal reruns the page)
        if tags.count() == 0:
            break
        before = tags.count()
        select.get_by_role("button", name=re.compile(r"^Remove ")).last.click()
        page.wait_for_function(f"() => document.querySelectorAll('[data-testid=\"stMultiSelect\"] [data-tag]').length"
                               f" < {before}", timeout=TIMEOUT_MS)
    assert tags.count() == 0
    select.locator("input").click()
    page.keyboard.type("+ batch norm")
    page.get_by_role("option", name="+ batch norm", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => new URL(window.location).searchParams.get('runs') === 'bn'", timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Run", exact=True).click()
    _finished(page, 3)
    assert page.evaluate(PANEL_TITLES, BOUNDARIES)[-1] == "+ batch norm"
    assert page.locator('[data-testid="stException"]').count() == 0
