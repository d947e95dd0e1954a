"""Real-browser fixtures: the app served on 127.0.0.1, Debian's Chromium driven by Playwright.

Without Chromium (or Playwright) these tests skip with the reason outside CI and fail under
CI=true, so CI always runs them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    from benchmarks.room import Server  # the one way the tests and benchmarks start the app

    server = Server(tmp_path_factory.mktemp("server") / "streamlit.log", pin=False)
    try:
        server.wait_ready(60)
    except RuntimeError as exc:
        server.close()
        pytest.fail(str(exc))
    yield server.url
    server.close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()
