"""The run history in Chromium: two quick races in one session, then the history page compares
them on one chart, one line per run, each named by its number in the history."""
import re

import pytest

from core import labs

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 60_000
RACE = labs.get("optimizer_race")
LEGEND = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] .role-legend-label text')]
    .map(t => t.textContent)"""


def _race(page, seed: int) -> None:
    """Press Race and wait until the run on show is this one (its caption names a seed other than
    the default) and has ended."""
    page.get_by_role("button", name="Race", exact=True).click()
    page.wait_for_function(
        "(seed) => { const text = document.body.innerText, run = text.match(/Run \\d+: [^\\n]*/);"
        " return /Finished at /.test(text) && run !== null && run[0].includes('seed=' + seed) === (seed !== 0); }",
        arg=seed, timeout=TIMEOUT_MS)


def _pick(page, number: int) -> None:
    page.locator('[data-testid="stMultiSelect"] input').first.click()
    page.keyboard.type(f"#{number} ")
    page.get_by_role("option", name=re.compile(f"^#{number} Optimizer race")).click()
    page.keyboard.press("Escape")


def test_two_runs_of_a_lab_compare_on_one_chart(page, app_url):
    query = "&".join(f"{k}={v}" for k, v in RACE.smoke.items())
    page.goto(f"{app_url}/{RACE.url_path}?{query}")
    page.get_by_role("heading", name="Optimizer race").wait_for(timeout=TIMEOUT_MS)
    _race(page, 0)
    seed = page.get_by_role("spinbutton", name="Seed", exact=True)
    seed.fill("1")
    seed.press("Enter")
    page.wait_for_function("() => new URL(window.location).searchParams.get('seed') === '1'", timeout=TIMEOUT_MS)
    _race(page, 1)

    page.get_by_role("link", name="Run history").click()  # the navigation: the same session
    page.get_by_role("heading", name="Run history").wait_for(timeout=TIMEOUT_MS)
    _pick(page, 1)
    _pick(page, 2)
    page.wait_for_function(f"() => ({LEGEND})().filter(t => t.startsWith('#')).length === 8", timeout=TIMEOUT_MS)
    legend = [t for t in page.evaluate(LEGEND) if t.startswith("#")]
    assert {t.split()[0] for t in legend} == {"#1", "#2"}  # both runs, two optimizers by two seeds each
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
