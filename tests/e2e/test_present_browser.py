"""In a real browser: presenter mode hides the sidebar and Streamlit's header and keeps Run, the
presets menu and the charts; a preset chosen from the menu sets the widgets and the address bar.
Screenshots go to /tmp (present.png, present_charts.png, presets.png) for a person to look at."""
import re

import pytest

from core import labs

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000


def _param(page, name: str):
    """A query parameter of the address bar (the page rewrites it with history calls, which page.url misses)."""
    return page.evaluate(f"new URLSearchParams(window.location.search).get({name!r})")


def _open(page, app_url: str, lab: str, query: str) -> None:
    page.goto(f"{app_url}/{labs.get(lab).url_path}?{query}")
    page.get_by_role("heading", name=re.compile(r"\w")).first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("combobox", name="Presets").wait_for(timeout=TIMEOUT_MS)


def test_presenter_mode_hides_the_chrome_and_keeps_run_presets_and_charts(page, app_url):
    _open(page, app_url, "vanishing", "present=1&epochs=3&runs=sigmoid-glorot,relu-he")
    page.wait_for_function("() => new URLSearchParams(window.location.search).get('depth') === '20'",
                           timeout=TIMEOUT_MS)  # the form's sync has rewritten the address bar...
    assert _param(page, "present") == "1"  # ...and kept presenter mode in it
    for chrome in ("stSidebar", "stHeader", "stExpandSidebarButton", "stToolbar"):
        assert not page.get_by_test_id(chrome).is_visible(), chrome
    run = page.get_by_role("button", name="Run", exact=True)
    assert run.is_visible() and page.get_by_role("button", name="Stop", exact=True).is_visible()
    assert page.get_by_role("switch", name="Presenter mode").is_checked()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    page.screenshot(path="/tmp/present.png")

    run.click()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 3",
                           timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^Finished")).wait_for(timeout=TIMEOUT_MS)
    charts.first.scroll_into_view_if_needed()
    main = page.get_by_test_id("stMain")
    assert main.evaluate("m => m.scrollWidth <= m.clientWidth + 1"), "a chart runs past the right edge"
    page.screenshot(path="/tmp/present_charts.png")

    page.get_by_text("Presenter mode").click()  # off again: the sidebar comes back, present leaves the link
    page.get_by_test_id("stSidebar").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function("() => !new URLSearchParams(window.location.search).has('present')", timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_preset_from_the_menu_sets_the_widgets_and_the_link(page, app_url):
    _open(page, app_url, "optimizer_race", "optimizers=sgd,adam")
    page.get_by_role("combobox", name="Presets").click()
    page.get_by_role("option", name="The same nine, each at its usual rate").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path="/tmp/presets.png")
    page.get_by_role("option", name="The chapter's experiment: nine optimizers at 0.05").click()
    page.wait_for_function("() => new URLSearchParams(window.location.search).get('lr_mode') === 'same'",
                           timeout=TIMEOUT_MS)
    assert _param(page, "optimizers") == "sgd,momentum,nesterov,adagrad,rmsprop,adam,adamax,nadam,adamw"
    assert _param(page, "lr") == "0.05"
    page.get_by_text(re.compile(r"^One rate for all: SGD, momentum and AdaGrad learn")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("9 models, trained in one vectorized pass.").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name=re.compile("Copy link")).click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    code.wait_for(timeout=TIMEOUT_MS)
    assert "lr_mode=same" in code.inner_text() and "/race?" in code.inner_text()
    page.screenshot(path="/tmp/presets_link.png")
    assert page.locator('[data-testid="stException"]').count() == 0
