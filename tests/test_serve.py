"""``python -m app`` serves the app, says where, and takes a teacher's settings as flags."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.__main__ import parser, settings_environment

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serving(*flags: str):
    """``python -m app`` on a free loopback port with ``flags``: (base URL, first line
    printed, its process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        said = server.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/health")
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        yield url, said, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_python_m_app_serves_on_the_given_host_and_port():
    with serving() as (url, said, _):
        assert f"{url}/" in said
        assert httpx.get(f"{url}/api/health").json()["status"] == "ok"
        assert httpx.get(f"{url}/").status_code == 200


def test_several_workers_serve():
    with serving("--workers", "2") as (url, _, server):
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        if children.exists():  # Linux: the worker processes under the one started
            assert len(children.read_text().split()) >= 2
        with httpx.Client(base_url=url) as http:
            for _ in range(10):  # new connections: the workers share the listening socket
                assert http.get("/api/health", headers={"connection": "close"}).status_code == 200
            mesh = http.post("/api/mesh", json={"surface": "himmelblau", "resolution": 5})
            assert mesh.status_code == 200 and len(mesh.json()["z"]) == 5


def test_the_settings_flags_reach_the_page_headers():
    with serving("--frame-ancestors", "https://course.example.org") as (url, _, _):
        policy = httpx.get(f"{url}/").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://course.example.org" in policy


FLAGS = (
    "--host",
    "--port",
    "--workers",
    "--allow-origin",
    "--frame-ancestors",
    "--max-sessions",
    "--idle-seconds",
    "--limit-concurrency",
    "--timeout-keep-alive",
)


def test_help_lists_the_flags():
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in FLAGS:
        assert flag in result.stdout


def test_flags_become_the_settings_of_every_worker():
    args = parser().parse_args(
        [
            "--allow-origin",
            "https://Course.Example.org/",
            "--allow-origin",
            "http://localhost:3000",
            "--frame-ancestors",
            "https://course.example.org",
            "--max-sessions",
            "30",
            "--idle-seconds",
            "120",
        ]
    )
    assert settings_environment(args) == {
        "GH_ALLOWED_ORIGINS": "https://course.example.org http://localhost:3000",
        "GH_FRAME_ANCESTORS": "'self' https://course.example.org",
        "GH_MAX_SESSIONS": "30",
        "GH_IDLE_SECONDS": "120.0",
    }
    assert settings_environment(parser().parse_args([])) == {}  # the defaults of app.config


@pytest.mark.parametrize(
    "flags",
    [
        ["--allow-origin", "course.example.org"],
        ["--allow-origin", "https://course.example.org/page"],
        ["--frame-ancestors", "https://x.org; script-src *"],
        ["--workers", "0"],
        ["--max-sessions", "-1"],
        ["--idle-seconds", "soon"],
    ],
)
def test_a_bad_flag_is_refused_with_its_reason(flags, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(flags)
    assert flags[1] in capsys.readouterr().err
