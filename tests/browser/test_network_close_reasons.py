"""The network page says why the server closed its live session (issue 8): the session
cap (1013) and an idle close, each in plain words with Reconnect and resume."""

from __future__ import annotations

import dataclasses
import time

import pytest

from app import config
from app.api import live
from tests.browser.conftest import page_opener
from tests.browser.test_network_page import NP, wait_network_ready, wait_run

BANNER = "#connection-text"


@pytest.fixture
def open_network(browser, live_server):
    with page_opener(browser, live_server, "/network", wait_network_ready) as open_:
        yield open_


def with_settings(monkeypatch, **changes) -> None:
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **changes))


def test_a_full_server_is_said_so_and_reconnect_works_once_there_is_room(
    open_network, live_server, monkeypatch
):
    from websockets.sync.client import connect

    page = open_network("ds=xor")
    with connect(live_server.replace("http", "ws") + "/ws/train") as another_learner:
        page.evaluate(f"{NP}.run.dropConnection()")
        wait_run(page, "lost")
        wait_for_sessions(1)  # the other learner's
        with_settings(monkeypatch, max_sessions=1)
        page.click("#reconnect")
        page.wait_for_function(f"document.querySelector('{BANNER}').textContent.includes('limit')")
        assert page.inner_text(BANNER).startswith(
            "The server has 1 live training session, its limit; try again in a minute."
        )
        assert page.is_visible("#reconnect") and page.is_disabled("#play")
        with_settings(monkeypatch, max_sessions=2)
        page.click("#reconnect")
        wait_run(page, "paused")
        assert not page.is_visible("#connection")
        another_learner.send('{"type": "weights"}')  # still served
        assert "no_session" in another_learner.recv()


def wait_for_sessions(count: int) -> None:
    for _ in range(1000):
        if len(live.connections) == count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{len(live.connections)} sessions, not {count}")


def test_an_idle_session_closed_by_the_server_is_said_so(open_network, monkeypatch):
    page = open_network("ds=xor")
    with_settings(monkeypatch, idle_seconds=1)  # read when a socket opens: open a new one
    page.evaluate(f"{NP}.run.dropConnection()")
    wait_run(page, "lost")
    page.click("#reconnect")
    page.wait_for_function(f"document.querySelector('{BANNER}').textContent.includes('Closed')")
    assert page.inner_text(BANNER).startswith(
        "Closed after 1 second without training or a message from this page."
    )
    assert "Reconnect" in page.inner_text(BANNER)
    assert page.is_visible("#reconnect")
    with_settings(monkeypatch, idle_seconds=600)
    page.click("#reconnect")
    wait_run(page, "paused")
    assert not page.is_visible("#connection")
