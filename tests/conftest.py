"""Shared fixtures: an in-process client for the API, and the optional torch reference."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.main import app


@pytest.fixture(scope="session")
def client() -> TestClient:
    with TestClient(app) as test_client:
        yield test_client


def strict_json(text: str):
    """Parse JSON refusing NaN and Infinity, as a strict client would."""

    def refuse(token: str):
        raise ValueError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="session")
def torch():
    """torch in float64, or a clean skip where it is not installed (it is optional)."""
    torch = pytest.importorskip("torch", reason="torch is optional; the comparison needs it")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture(scope="session")
def live_server():
    """The app served by uvicorn on a free loopback port, in a background thread."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from app.serving import uvicorn_options

    config = uvicorn.Config(app, host="127.0.0.1", port=port, **uvicorn_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread while its browser is open, and tests that call asyncio.run cannot run then."""
    items.sort(key=lambda item: "browser" in item.path.parts)
    # A browser test drives a page that animates and trains in real time on a shared 2-core
    # machine: a wait can lose a race with the machine's load. Such a test gets one more try
    # (pytest-rerunfailures; `-raR` names every rerun in the summary: a flaky test is seen,
    # not hidden).
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
