"""Open every page in Chromium; press the lab's Run and watch the charts appear and grow."""
import re

import pytest

pytestmark = pytest.mark.e2e

PAGES = {"/": "Training dynamics", "/vanishing": "Vanishing and exploding gradients",
         "/variance": "Initialization variance", "/race": "Optimizer race", "/activations": "Activation functions",
         "/schedules": "Learning-rate schedules", "/dropout": "Dropout and uncertainty"}
TIMEOUT_MS = 60_000


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


@pytest.mark.parametrize("path,title", PAGES.items())
def test_every_page_opens_without_an_exception(page, app_url, path, title):
    page.goto(app_url + path)
    page.get_by_role("heading", name=title).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # let late elements render
    _no_exception(page)


def _reports(page) -> int:
    text = page.get_by_text(re.compile(r"\d+ reports so far")).first.inner_text()
    return int(text.split()[0])


def _press_and_watch_it_grow(page, button: str, min_charts: int, may_finish: bool = False) -> None:
    """Press `button`, see a chart appear and the report count grow, then Stop (a short run
    may have finished by then when `may_finish`)."""
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    before = charts.count()
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_text(re.compile(r"\d+ reports so far")).first.wait_for(timeout=TIMEOUT_MS)
    first = _reports(page)
    page.wait_for_function(
        f"() => /([0-9]+) reports so far/.test(document.body.innerText) && "
        f"parseInt(document.body.innerText.match(/([0-9]+) reports so far/)[1]) > {first + 2}",
        timeout=TIMEOUT_MS)
    # Vega mounts a chart a moment after the text drawn with it, so wait for the count
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= "
        f"{max(min_charts, before + 1)}", timeout=TIMEOUT_MS)
    stop = page.get_by_role("button", name="Stop", exact=True)
    if may_finish and stop.is_disabled():
        page.get_by_text("Finished.").wait_for(timeout=10_000)
    else:
        stop.click()
        page.get_by_text(re.compile("Stopped.|Finished." if may_finish else "Stopped.")).wait_for(timeout=10_000)
    _no_exception(page)


def test_vanishing_run_draws_charts_that_grow_and_stop_ends_it(page, app_url):
    page.goto(app_url + "/vanishing?depth=20&epochs=100&runs=sigmoid-glorot,relu-he")
    page.get_by_role("heading", name=PAGES["/vanishing"]).wait_for(timeout=TIMEOUT_MS)
    _press_and_watch_it_grow(page, "Run", min_charts=3)


def test_variance_measures_at_once_and_trains_live(page, app_url):
    page.goto(app_url + "/variance?depth=20&seeds=1")
    page.get_by_role("heading", name=PAGES["/variance"]).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Histograms of activations").first.wait_for(timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 5
    _press_and_watch_it_grow(page, "Train", min_charts=6, may_finish=True)


def test_activations_draws_at_once_and_dying_relu_grows_live(page, app_url):
    page.goto(app_url + "/activations?depth=6&epochs=100&activations=relu,leaky_relu")
    page.get_by_role("heading", name=PAGES["/activations"]).wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("heading", name="Dying ReLU").wait_for(timeout=TIMEOUT_MS)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(2).wait_for(timeout=TIMEOUT_MS)
    assert charts.count() == 3  # shapes, gradient through depth, gated unit
    _press_and_watch_it_grow(page, "Run", min_charts=6, may_finish=True)  # + dead per layer, over epochs, curves


def test_race_curves_grow_live(page, app_url):
    page.goto(app_url + "/race?optimizers=sgd,momentum,adam&seeds=2&epochs=100&depth=3")
    page.get_by_role("heading", name=PAGES["/race"]).wait_for(timeout=TIMEOUT_MS)
    _press_and_watch_it_grow(page, "Race", min_charts=1)


def test_schedules_range_test_then_training_grows_live(page, app_url):
    page.goto(app_url + "/schedules?schedules=constant,onecycle,plateau&epochs=100&depth=2")
    page.get_by_role("heading", name=PAGES["/schedules"]).wait_for(timeout=TIMEOUT_MS)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=TIMEOUT_MS)
    assert charts.count() == 1  # the preview, drawn at once
    page.get_by_role("button", name="Range test", exact=True).click()
    page.get_by_text(re.compile(r"learning rates tried")).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
                           timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Use it as the rate").first.click()
    page.get_by_text(re.compile(r"Using .* as the fixed rate from the range test")).wait_for(timeout=TIMEOUT_MS)
    _no_exception(page)
    page.get_by_role("button", name="Train", exact=True).click()
    counts = page.get_by_text(re.compile(r"\d+ reports so far"))
    page.wait_for_function("() => (document.body.innerText.match(/[0-9]+ reports so far/g) || []).length >= 2",
                           timeout=TIMEOUT_MS)
    first = int(counts.nth(1).inner_text().split()[0])
    page.wait_for_function(
        "() => { const m = document.body.innerText.match(/([0-9]+) reports so far/g) || [];"
        f" return m.length >= 2 && parseInt(m[1]) > {first + 2}; }}", timeout=TIMEOUT_MS)
    # preview, range test, rate above loss (Vega mounts a chart a moment after the text drawn with it)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 3",
                           timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Stop", exact=True).nth(1).click()
    page.get_by_text("Stopped.").wait_for(timeout=10_000)
    _no_exception(page)


def test_dropout_trains_then_opens_the_mc_view(page, app_url):
    page.goto(app_url + "/dropout?rates=0,0.5&epochs=100&width=128")
    page.get_by_role("heading", name=PAGES["/dropout"]).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Train first").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"\d+ reports so far")).first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Finished.").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(f"{2 * 101} reports so far").wait_for(timeout=TIMEOUT_MS)  # two networks, epochs 0..100
    # the MC view opens once training has finished: galleries and per-image bars first
    page.get_by_role("heading", name="MC dropout: how sure is each network?").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Images to inspect").wait_for(timeout=TIMEOUT_MS)
    images = page.locator('[data-testid="stImageContainer"]')
    images.nth(24 + 3 - 1).wait_for(timeout=TIMEOUT_MS)  # the gallery and the three inspected
    page.get_by_role("tab", name="Out of distribution").click()
    page.get_by_text(re.compile(r"On uniform noise the MC predictive entropy")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="Calibration").click()
    page.get_by_text("ECE, deterministic").wait_for(timeout=TIMEOUT_MS)
    # curves, gaps, three per-image bar charts, out of distribution, reliability
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 7",
                           timeout=TIMEOUT_MS)
    _no_exception(page)
