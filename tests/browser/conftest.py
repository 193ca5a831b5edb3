"""Browser tests: the app served by uvicorn on a free port, driven in Debian's Chromium.

Playwright cannot download a browser here, so it drives the system Chromium
(`CHROMIUM_PATH`, default /usr/bin/chromium). Without it every test in this
directory is skipped with the reason; `.ci/run` installs it so CI runs them.

Every page opened through the `page` fixture fails its test on a console
error, an uncaught exception, or a request to any host but the app's own.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = (
    f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
    "or point CHROMIUM_PATH at one"
)


def pytest_collection_modifyitems(config, items):
    """Skip this directory's tests, with the reason, where there is no Chromium."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


# `live_server` (the app on a free loopback port) comes from tests/conftest.py.


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is needed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """What went wrong on a page: console errors, uncaught exceptions, foreign requests."""

    def __init__(self, origin: str):
        self.origin = origin
        self.console: list[str] = []
        self.exceptions: list[str] = []
        self.foreign: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        page.on("pageerror", lambda e: self.exceptions.append(str(e)))
        page.on("request", self._request)

    def _request(self, request) -> None:
        url = request.url
        if url.startswith(("data:", "blob:")) or url.startswith(self.origin + "/"):
            return
        self.foreign.append(url)

    def check(self) -> None:
        assert not self.exceptions, f"uncaught exceptions: {self.exceptions}"
        assert not self.console, f"console errors: {self.console}"
        assert not self.foreign, f"requests to other hosts: {self.foreign}"


@contextmanager
def page_opener(browser, origin: str, path: str, ready):
    """open_(query="", width=1280, height=800, enforce_csp=False) → the page at ``path``,
    once ``ready(page)``.

    Each page gets its own browser context; on leaving, every page's problems
    (PageProblems) fail the test.
    """
    contexts, watchers = [], []

    def open_(query: str = "", width: int = 1280, height: int = 800, enforce_csp: bool = False):
        # Playwright's wait_for_function evaluates its predicate with eval, which the
        # app's Content-Security-Policy forbids; a test of the policy itself passes
        # enforce_csp=True and waits with page.evaluate instead.
        context = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=not enforce_csp
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems = PageProblems(origin)
        problems.watch(page)
        watchers.append(problems)
        page.goto(f"{origin}{path}{'?' + query if query else ''}")
        ready(page)
        return page

    yield open_
    for context in contexts:
        context.close()
    for problems in watchers:
        problems.check()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(query="", width=1280, height=800) → the surface explorer, loaded."""
    with page_opener(browser, live_server, "/", wait_ready) as open_:
        yield open_


def wait_ready(page) -> None:
    page.wait_for_selector("#explorer[data-ready='1'][data-run='idle']")


class UI:
    """Waiting on the page's own state (never on the clock)."""

    ready = staticmethod(wait_ready)

    @staticmethod
    def run_state(page, state: str, timeout: float = 60_000) -> None:
        page.wait_for_selector(f"#explorer[data-run='{state}']", timeout=timeout)

    @staticmethod
    def done(page, timeout: float = 60_000) -> None:
        UI.run_state(page, "done", timeout)

    @staticmethod
    def hikers(page) -> list[dict]:
        """Each hiker as shown: step, z, status (once arrived) and verdict."""
        return page.evaluate("window.gradientHiker.shown()")

    @staticmethod
    def query(page) -> dict[str, list[str]]:
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(page.url).query)


@pytest.fixture
def ui() -> type[UI]:
    return UI


def unlabelled_controls(page) -> list[str]:
    """The visible controls a screen reader could not name (no label, aria or text)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
          .filter(el => el.offsetParent !== null || el.type === 'radio')
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !el.getAttribute('aria-labelledby')
                        && !(el.tagName === 'BUTTON' && el.textContent.trim()))
          .map(el => el.id || el.outerHTML.slice(0, 60))"""
    )
