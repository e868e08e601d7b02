"""Real Chromium (Debian's /usr/bin/chromium) driving the UI of live servers.

Install the browser with ``apt-get install -y chromium`` (never ``playwright install``);
the tests skip when it is missing (and fail when ``POLICYCHAT_REQUIRE`` includes
``chromium``). Requests to anything but loopback are aborted, so a page never waits
on the network.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from testsupport import make_settings, require_or_skip

from assistant.serving.server import background_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per session."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        require_or_skip("chromium", "Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (1400×1000) that only talks to loopback.

    Callbacks and renders take seconds on a busy 2-core machine, so the page's actions and
    ``expect`` both wait up to 60 s (Playwright's default is 5) while the page lives.
    """
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)

    def only_loopback(route: Any) -> None:
        host = route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_loopback)
    yield page
    expect.set_options(timeout=5_000)
    context.close()


@pytest.fixture(scope="module")
def corpus_ui(ingested: Any) -> Iterator[str]:
    """Base URL of a server on the shared ingested corpus."""
    with background_server(ingested.settings) as url:
        yield url


@pytest.fixture(scope="module")
def empty_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server on a new, empty library (its tests upload into it)."""
    settings = make_settings(tmp_path_factory.mktemp("ui-empty") / "data")
    with background_server(settings) as url:
        yield url


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, name)`` saves a full-page PNG under tests/artifacts/ and returns its path."""

    def save(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
