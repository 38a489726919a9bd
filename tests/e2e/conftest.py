"""Browser journeys: the real web server and a real worker on the test's database, driven by
headless Debian Chromium through Playwright.

One browser per session (starting Chromium is the slow part); each test gets a fresh browser
context (no shared cookies), its own database, web process and worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.live import WebServer, start_server  # noqa: F401  (fixture)

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The navigation bar's menus (structural selectors: the labels are translated).
USER_MENU = "nav li.dropdown:has(form[action$='/logout']) > a.dropdown-toggle"
LANGUAGE_MENU = "nav ul.navbar-nav:not(.me-auto) > li.dropdown:first-child > a.dropdown-toggle"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# base.html's navbar-expand-xl: narrower than this, the menu folds behind the toggler.
NAV_FOLDS_BELOW = 1200


@pytest.fixture
def live_server(
    app: Any,
    worker_app: Any,
    start_worker: Callable[..., Any],
    start_server: Callable[[], WebServer],  # noqa: F811
) -> Iterator[WebServer]:
    """Web + worker on this test's database and broker.

    The test process works in ``worker_app`` (pushed after ``app``, so it is the current app):
    the same database, for factories and assertions, and the same broker, so what a service
    called from the test enqueues (matching, statistics) reaches the live worker.
    """
    # With beat, as `marketplace up` runs it: the outbox sweep re-dispatches a drain that lost
    # a race for the SQLite write lock.
    start_worker("default,search", beat=True)
    server = start_server()
    yield server
    assert server.errors() == [], server.error_report()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is not installed (apt-get install chromium): browser journeys not run"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """Every journey runs on a desktop (1280×800) and on a phone (390×844)."""
    return VIEWPORT if request.param == "desktop" else PHONE


@pytest.fixture
def new_page(browser: Any, viewport: dict[str, int]) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (separate cookie jars, like separate people)."""
    contexts: list[Any] = []

    def open_page(locale: str = "zh-CN") -> Any:
        context = browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # A JavaScript error on any page fails the journey.
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        return page

    page_errors: list[str] = []
    yield open_page
    for context in contexts:
        context.close()
    assert page_errors == [], page_errors


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of a key page for the README, only when asked (CI must not dirty the tree)."""
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    if is_phone(page) and not name.startswith("phone-"):
        name = f"phone-{name}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def sign_in(page: Any, server: WebServer, email: str, password: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def open_menu(page: Any) -> None:
    """On a phone the navigation bar is folded behind its toggler: unfold it first."""
    # Decided by the viewport, not by the toggler's visibility: before the stylesheet has loaded
    # the toggler is briefly visible on a desktop too, and clicking it then waits forever.
    # Menus open by Bootstrap's script: before the page's "load" event a click on a toggle can
    # land before the handlers exist and open nothing (CI: the sign-out button never showed).
    page.wait_for_load_state("load")
    if not (page.viewport_size and page.viewport_size["width"] < NAV_FOLDS_BELOW):
        return
    toggler = page.locator("nav .navbar-toggler")
    if toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#mainNav.show").wait_for()


def is_phone(page: Any) -> bool:
    return bool(page.viewport_size and page.viewport_size["width"] < 576)


def sign_out(page: Any) -> None:
    # The sign-out button sits in the user menu.
    open_menu(page)
    page.click(USER_MENU)
    page.locator("form[action$='/logout'] button").wait_for(state="visible")
    page.click("form[action$='/logout'] button")
    page.wait_for_load_state()


def switch_language(page: Any, code: str) -> None:
    open_menu(page)
    page.click(LANGUAGE_MENU)
    with page.expect_navigation():
        page.click(f"a.dropdown-item[href$='/lang/{code}']")
