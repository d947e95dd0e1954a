"""In a real browser: the address bar follows the widgets, and a lab's settings survive going to
another lab through the navigation and coming back."""
import re
from urllib.parse import parse_qs, urlparse

import pytest

from core import config as C
from core import labs

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 60_000


def _query(page) -> dict[str, str]:
    """The address bar's query (the page updates it with history.pushState, which page.url misses)."""
    href = page.evaluate("window.location.href")
    return {k: v[-1] for k, v in parse_qs(urlparse(href).query, keep_blank_values=True).items()}


def _wait_for_param(page, name: str, value: str) -> None:
    page.wait_for_function(
        f"() => new URLSearchParams(window.location.search).get({name!r}) === {value!r}", timeout=TIMEOUT_MS)


def test_the_address_bar_follows_the_widgets_and_survives_a_visit_elsewhere(page, app_url):
    lab = labs.get("vanishing")
    page.goto(f"{app_url}/{lab.url_path}?depth=7&epochs=3")
    page.get_by_role("heading", name="Vanishing and exploding gradients").wait_for(timeout=TIMEOUT_MS)
    _wait_for_param(page, "width", "100")  # written by the page: the link did not have it
    # every setting is in the address, defaults included, written as the CLI takes them
    assert _query(page) == {**C.to_strings(lab.config()), "depth": "7", "epochs": "3"}

    epochs = page.get_by_role("slider", name=re.compile("Epochs"))
    epochs.focus()
    epochs.press("ArrowRight")
    _wait_for_param(page, "epochs", "4")
    assert _query(page)["depth"] == "7"

    race = labs.get("optimizer_race")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=race.title).click()
    page.get_by_role("heading", name="Optimizer race").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(f"() => window.location.pathname.endsWith('/{race.url_path}') && "
                           "window.location.search.includes('optimizers=')", timeout=TIMEOUT_MS)
    assert set(_query(page)) == set(race.fields())

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=lab.title).click()
    page.get_by_role("heading", name="Vanishing and exploding gradients").wait_for(timeout=TIMEOUT_MS)
    _wait_for_param(page, "epochs", "4")
    assert _query(page)["depth"] == "7"
    assert page.get_by_role("slider", name=re.compile("Epochs")).input_value() == "4"
    assert page.locator('[data-testid="stException"]').count() == 0
