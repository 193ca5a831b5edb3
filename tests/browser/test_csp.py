"""The pages and /docs under the Content-Security-Policy the server sends (issue 8).

The other browser tests let Playwright bypass the policy (its wait_for_function runs
its predicate with eval, which the policy forbids). Here it is enforced: each page
does its heaviest drawing (Plotly's 3D surface and maps, KaTeX, live training, the
basin map, Swagger UI's "Try it out") and, as everywhere, fails on any console error
(a blocked script, style, font or connection is one) or request to another host.
Waits poll the page's state with evaluate, which the policy allows.
"""

from __future__ import annotations

import time

from tests.browser.conftest import page_opener, wait_ready


def wait_until(page, expression: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still not true: {expression}"
        page.wait_for_timeout(100)


def test_the_policy_is_enforced_where_not_bypassed(browser, live_server):
    """What makes the tests below mean something: with bypass_csp off, Chromium applies
    the server's policy (an inline script is refused, and says so in the console)."""
    context = browser.new_context(bypass_csp=False)
    try:
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{live_server}/docs")
        page.evaluate(
            """() => { const script = document.createElement('script');
                       script.textContent = 'window.inlineRan = true';
                       document.head.append(script); }"""
        )
        deadline = time.monotonic() + 10
        while not any("Content Security Policy" in text for text in console):
            assert time.monotonic() < deadline, f"no policy message in the console: {console}"
            page.wait_for_timeout(100)
        assert page.evaluate("window.inlineRan") is None
    finally:
        context.close()


def test_the_surface_explorer_draws_everything_under_the_policy(browser, live_server):
    with page_opener(browser, live_server, "/", wait_ready) as open_:
        page = open_("s=himmelblau&speed=2000", enforce_csp=True)
        assert page.locator("#formula-f .katex").count() == 1  # KaTeX, with its fonts
        page.click("#run")
        page.wait_for_selector("#explorer[data-run='done']", timeout=60_000)
        assert page.evaluate("document.getElementById('plot3d').data.length") > 0
        page.check("#view-basins")
        page.wait_for_selector("#basin-legend li:nth-child(6)", timeout=60_000)


def test_the_network_page_trains_and_draws_under_the_policy(browser, live_server):
    def ready(page) -> None:
        page.wait_for_selector("#netpage[data-ready='1']")
        wait_until(page, "document.getElementById('netpage').dataset.run === 'paused'")

    with page_opener(browser, live_server, "/network", ready) as open_:
        page = open_("ds=xor&hidden=8&epochs=200&speed=0", enforce_csp=True)
        page.click("#play")  # the WebSocket: connect-src 'self' must allow it
        wait_until(page, "document.getElementById('netpage').dataset.run === 'done'")
        assert page.locator(".formula .katex").count() >= 4
        page.click("#land-draw")
        page.wait_for_selector("#netpage[data-landscape='1']", timeout=60_000)
        assert page.evaluate("document.getElementById('land-3d').data[0].type") == "surface"


def test_docs_render_offline_and_try_a_request_under_the_policy(browser, live_server):
    with page_opener(
        browser, live_server, "/docs", lambda p: p.wait_for_selector(".opblock")
    ) as open_:
        page = open_(enforce_csp=True)
        assert page.locator(".opblock").count() >= 10
        health = page.locator(".opblock", has_text="/api/health").first
        health.locator(".opblock-summary").click()
        health.get_by_role("button", name="Try it out").click()
        health.get_by_role("button", name="Execute").click()
        status = health.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for()
        assert status.inner_text().strip() == "200"
