"""The learning-rate sweep in a real browser: a small sweep's points appear and its cells end,
then the race of its optimizers at their best rates runs on the race page."""
import re

from tests.e2e.test_browser import TIMEOUT_MS, _button, _heading, _no_exception, _url

SMALL = "optimizers=sgd,adam&lr_lo=0.001&lr_hi=1.0&points=5&seeds=1&depth=1&width=16&epochs=4"


def test_a_small_sweep_then_the_race_at_its_best_rates(page, app_url):
    page.goto(_url(app_url, "lr_sweep", SMALL))
    _heading(page, "lr_sweep").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^10 cells: 2 optimizers × 5 rates × 1 seeds")).wait_for(timeout=TIMEOUT_MS)
    _button(page, "Sweep").click()
    page.get_by_text(re.compile(r"of 10 cells ended")).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 1",
                           timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^10 of 10 cells ended, in this process")).wait_for(timeout=TIMEOUT_MS)
    board = page.locator('[data-testid="stDataFrame"]')
    board.first.wait_for(timeout=TIMEOUT_MS)
    _no_exception(page)
    page.get_by_role("button", name="Race them at their best rates").click()
    _heading(page, "optimizer_race").wait_for(timeout=TIMEOUT_MS)
    assert re.search(r"settings=sgd%3Alr%3D[0-9.e-]+%2Cadam%3Alr%3D", page.url), page.url
    page.get_by_text(re.compile(r"^(Finished|Stopped) at ")).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 1",
                           timeout=TIMEOUT_MS)
    _no_exception(page)
