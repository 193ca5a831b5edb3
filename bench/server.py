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


def cpu_seconds(root: int) -> float:
    """CPU time used so far by process ``root`` and its descendants (Linux /proc)."""
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has ended
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid, seconds in used.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root:
            total += seconds
    return total


def wait_until_idle(pid: int, timeout: float = 30, interval: float = 0.25) -> None:
    """Wait for the server's start-up work to end: it compiles the catalogue, gzips
    plotly.js and starts its formula compilers in the background after it answers, and
    timings taken meanwhile measure that work (the server is idle when it and its
    children use under 5% of a core for two intervals in a row)."""
    deadline = time.monotonic() + timeout
    quiet, before = 0, cpu_seconds(pid)
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(interval)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - before < 0.05 * interval else 0
        before = now


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
        wait_until_idle(server.pid)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
