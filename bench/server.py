"""The app in its own process on a free loopback port, for the benchmarks.

with running_server() as url:
    ...  # url is "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(*flags: str, timeout: float = 60) -> Iterator[str]:
    """``python -m app`` on a free port until the block ends; yields its base URL.

    ``flags`` are more options of ``python -m app`` (``"--workers", "2"``); the server
    options themselves are those of every other start (app/serving.py).
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port), *flags],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
