"""Open every page in Chromium; press the lab's Run and watch the charts appear and grow."""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core import labs

pytestmark = pytest.mark.e2e

HOME = "Training dynamics"
HEADINGS = {  # lab name -> its page's st.title; every lab in the registry needs one
    "activations": "Activation functions", "variance": "Initialization variance",
    "vanishing": "Vanishing and exploding gradients", "optimizer_race": "Optimizer race",
    "schedules": "Learning-rate schedules", "dropout": "Dropout and uncertainty",
    "landscape": "Loss landscapes and saddle points", "deepnet": "Deep nets: normalization and regularization",
    "transfer": "Transfer learning", "lr_sweep": "Learning-rate sweep",
}
TIMEOUT_MS = 60_000
FRESH = '[data-testid="stElementContainer"]:not([data-stale="true"])'  # not a leftover of the previous run


def _url(app_url: str, lab: str, query: str = "") -> str:
    return f"{app_url}/{labs.get(lab).url_path}" + (f"?{query}" if query else "")


def _heading(page, lab: str):
    return page.get_by_role("heading", name=HEADINGS[lab])


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def test_every_lab_in_the_registry_has_an_expected_heading():
    assert set(HEADINGS) == set(labs.names()), (
        f"HEADINGS must name every lab's page title: missing {sorted(set(labs.names()) - set(HEADINGS))}, "
        f"stale {sorted(set(HEADINGS) - set(labs.names()))}")


@pytest.mark.parametrize("lab", [None, *labs.all_labs()], ids=lambda lab: "home" if lab is None else lab.name)
def test_every_page_opens_without_an_exception(page, app_url, lab):
    assert lab is None or lab.name in HEADINGS, f"no expected heading for lab {lab.name!r}: add it to HEADINGS"
    page.goto(app_url + "/" + ("" if lab is None else lab.url_path))
    page.get_by_role("heading", name=HOME if lab is None else HEADINGS[lab.name]).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # let late elements render
    _no_exception(page)


def _reports(page) -> int:
    text = page.get_by_text(re.compile(r"\d+ reports so far")).first.inner_text()
    return int(text.split()[0])


def _button(page, name: str, index: int = 0, count: int = 1):
    """Button `name` (the `index`th of the `count` the page draws), once Streamlit's rerun has
    settled: while a rerun is drawn, a stale copy of a button can linger beside the new one, and a
    plain lookup then finds two."""
    page.wait_for_function(
        "([fresh, name, count]) => [...document.querySelectorAll(fresh + ' button')]"
        ".filter(b => b.innerText.trim() === name).length === count", arg=[FRESH, name, count], timeout=TIMEOUT_MS)
    return page.locator(FRESH).get_by_role("button", name=name, exact=True).nth(index)


def _press_and_watch_it_grow(page, button: str, min_charts: int, may_finish: bool = False) -> None:
    """Press `button`, see a chart appear and the report count grow, then Stop (a short run
    may have finished by then when `may_finish`)."""
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    before = charts.count()
    _button(page, button).click()
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
    stop = _button(page, "Stop")
    if may_finish and stop.is_disabled():
        page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=10_000)
    else:
        try:
            stop.click(timeout=10_000)
        except PlaywrightTimeout:
            if not may_finish:
                raise
            # the run finished between the look and the click, and disabled Stop
        page.get_by_text(re.compile(r"^(Stopped|Finished) at " if may_finish else r"^Stopped at ")).wait_for(timeout=10_000)
    _no_exception(page)


def test_vanishing_run_draws_charts_that_grow_and_stop_ends_it(page, app_url):
    page.goto(_url(app_url, "vanishing", "depth=20&epochs=100&runs=sigmoid-glorot,relu-he"))
    _heading(page, "vanishing").wait_for(timeout=TIMEOUT_MS)
    _press_and_watch_it_grow(page, "Run", min_charts=3)


def test_variance_measures_at_once_and_trains_live(page, app_url):
    page.goto(_url(app_url, "variance", "depth=20&seeds=1"))
    _heading(page, "variance").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Histograms of activations").first.wait_for(timeout=TIMEOUT_MS)
    # Vega mounts a chart a moment after the text drawn with it
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length === 5",
                           timeout=TIMEOUT_MS)
    _press_and_watch_it_grow(page, "Train", min_charts=6, may_finish=True)


def test_activations_draws_at_once_and_dying_relu_grows_live(page, app_url):
    page.goto(_url(app_url, "activations", "depth=6&epochs=100&activations=relu,leaky_relu"))
    _heading(page, "activations").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("heading", name="Dying ReLU").wait_for(timeout=TIMEOUT_MS)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.nth(2).wait_for(timeout=TIMEOUT_MS)
    assert charts.count() == 3  # shapes, gradient through depth, gated unit
    _press_and_watch_it_grow(page, "Run", min_charts=6, may_finish=True)  # + dead per layer, over epochs, curves


def test_race_curves_grow_live(page, app_url):
    page.goto(_url(app_url, "optimizer_race", "optimizers=sgd,momentum,adam&seeds=2&epochs=100&depth=3"))
    _heading(page, "optimizer_race").wait_for(timeout=TIMEOUT_MS)
    _press_and_watch_it_grow(page, "Race", min_charts=1)


def test_schedules_range_test_then_training_grows_live(page, app_url):
    page.goto(_url(app_url, "schedules", "schedules=constant,onecycle,plateau&epochs=100&depth=2"))
    _heading(page, "schedules").wait_for(timeout=TIMEOUT_MS)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=TIMEOUT_MS)
    assert charts.count() == 1  # the preview, drawn at once
    _button(page, "Range test").click()
    page.get_by_text(re.compile(r"learning rates tried")).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
                           timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Use it as the rate").first.click()
    page.get_by_text(re.compile(r"Using .* as the fixed rate from the range test")).wait_for(timeout=TIMEOUT_MS)
    _no_exception(page)
    _button(page, "Train").click()
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
    _button(page, "Stop", index=1, count=2).click()  # the training's, below the range test's
    page.get_by_text(re.compile(r"^Stopped at ")).wait_for(timeout=10_000)
    _no_exception(page)


def test_dropout_trains_then_opens_the_mc_view(page, app_url):
    page.goto(_url(app_url, "dropout", "rates=0,0.5&epochs=100&width=128"))
    _heading(page, "dropout").wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Train first").wait_for(timeout=TIMEOUT_MS)
    _button(page, "Train").click()
    page.get_by_text(re.compile(r"\d+ reports so far")).first.wait_for(timeout=TIMEOUT_MS)
    # .first: by the time this looks, the MC view's own panel may have finished too
    page.get_by_text(re.compile(r"^Finished at ")).first.wait_for(timeout=TIMEOUT_MS)
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
