"""The HTTP edge (issue 8): body limit, error excerpts, big and compressed responses,
slow readers, security headers, an offline /docs.

Raw sockets against the live server show what an in-process client cannot: that a
413 comes before the body has arrived, and that a client reading nothing is dropped.
"""

from __future__ import annotations

import dataclasses
import errno
import gzip
import json
import re
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.datastructures import Headers

from app import config, limits
from app.api import edge
from app.api.responses import accepts_gzip, excerpt
from tests.conftest import strict_json

LIMIT = limits.MAX_REQUEST_BYTES
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def connect(live_server: str, receive_buffer: int | None = None) -> socket.socket:
    address = urlsplit(live_server)
    connection = socket.socket()
    if receive_buffer is not None:  # set before connecting, so the window stays small
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    connection.connect((address.hostname, address.port))
    connection.settimeout(10)
    return connection


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection without answering"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = connection.recv(65536)
        assert chunk, "the body was cut short"
        body += chunk
    return int(status_line.split()[1]), headers, body


def request_head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- Request bodies -------------------------------------------------------------------


def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent(live_server):
    with connect(live_server) as connection:
        # Only the head: the server answers without waiting for 30 MB that never come.
        connection.sendall(request_head("/api/evaluate", Content_Length=str(30 * 2**20)))
        status, headers, body = read_response(connection)
    assert status == 413
    assert headers["content-type"] == "application/json"
    detail = strict_json(body)["detail"]
    assert detail[0]["type"] == "request_too_large" and detail[0]["loc"] == ["body"]
    assert detail[0]["ctx"]["limit_bytes"] == LIMIT
    assert f"{LIMIT:,}" in detail[0]["msg"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(live_server):
    with connect(live_server) as connection:
        connection.sendall(request_head("/api/evaluate", Transfer_Encoding="chunked"))
        chunk = b'{"surface": "himmelblau", "points": [' + b"[1, 2], " * 8000
        sent = 0
        while sent <= LIMIT:  # the body is never finished: no parser could have seen it
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        status, headers, body = read_response(connection)
    assert status == 413 and headers["connection"] == "close"
    assert strict_json(body)["detail"][0]["type"] == "request_too_large"


def test_a_body_that_stops_arriving_gets_408(live_server, monkeypatch):
    monkeypatch.setattr(limits, "STALLED_CLIENT_SECONDS", 0.5)
    with connect(live_server) as connection:
        connection.sendall(request_head("/api/evaluate", Content_Length="100") + b'{"surf')
        status, _, body = read_response(connection)
    assert status == 408
    assert strict_json(body)["detail"][0]["type"] == "request_timeout"


def test_a_body_within_the_limit_is_handed_on_whole(client):
    points = [[0.5, -1.0]] * 10_000
    text = json.dumps({"surface": "himmelblau", "points": points})
    padded = text[:-1] + " " * (LIMIT - len(text) - 10) + "}"  # just under the limit
    response = client.post(
        "/api/evaluate", content=padded, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200 and len(response.json()["z"]) == 10_000

    def in_chunks():  # no Content-Length: read chunk by chunk, then replayed
        for start in range(0, len(text), 50_000):
            yield text[start : start + 50_000].encode()

    chunked = client.post(
        "/api/evaluate", content=in_chunks(), headers={"content-type": "application/json"}
    )
    assert chunked.status_code == 200 and chunked.json() == response.json()


def test_over_the_limit_in_process_too(client):
    response = client.post(
        "/api/formula", content=b" " * (LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert all(name in response.headers for name in SECURITY_HEADERS)


# --- Error excerpts -------------------------------------------------------------------


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)


def test_a_422_quotes_at_most_a_short_excerpt_of_the_input(client):
    body = {
        "surface": "himmelblau",
        "points": [[1.25, 2.5]] * (limits.MAX_EVALUATE_POINTS + 1),
        "x" * 5000: "an unknown field with a long name",
    }
    sent = json.dumps(body)
    response = client.post(
        "/api/evaluate", content=sent, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert len(response.content) < 2000 < len(sent)
    detail = strict_json(response.text)["detail"]
    for error in detail:
        for text in all_strings({k: v for k, v in error.items() if k != "msg"}):
            assert len(text) <= limits.MAX_ERROR_EXCERPT
    too_many = next(e for e in detail if e["loc"] == ["body", "points"])
    assert too_many["input"].startswith("[[1.25,2.5],[1.25,2.5],")
    assert too_many["input"].endswith(f"({limits.MAX_EVALUATE_POINTS + 1:,} items)")
    unknown = next(e for e in detail if e["type"] == "extra_forbidden")
    assert unknown["loc"][1].startswith("xxxx") and unknown["loc"][1].endswith("…")


def test_a_long_string_input_is_cut(client):
    response = client.post("/api/mesh", json={"surface": "q" * 100_000, "resolution": 10})
    assert response.status_code == 422
    assert len(response.content) < 2000
    for error in response.json()["detail"]:
        for text in all_strings({k: v for k, v in error.items() if k != "msg"}):
            assert len(text) <= limits.MAX_ERROR_EXCERPT


def test_a_short_input_is_quoted_whole(client):
    response = client.post("/api/mesh", json={"surface": "himmelblau", "resolution": [1, 2]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == [1, 2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", "short"),
        ("a" * 200, "a" * (limits.MAX_ERROR_EXCERPT - 1) + "…"),
        ([1, [2, 3]], [1, [2, 3]]),
        ({"a": 1}, {"a": 1}),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_excerpt(value, expected):
    assert excerpt(value) == expected


def test_excerpt_of_a_huge_or_deep_value_is_short_and_says_its_size():
    assert excerpt(list(range(1_000_000))).endswith("… (1,000,000 items)")
    deep: list = []
    innermost = deep
    for _ in range(10_000):
        innermost.append([])
        innermost = innermost[0]
    assert excerpt(deep) == "[" * (limits.MAX_ERROR_EXCERPT - len("… (1 item)")) + "… (1 item)"
    assert len(excerpt({str(i): i for i in range(1000)})) == limits.MAX_ERROR_EXCERPT


# --- Security headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/network",
        "/docs",
        "/api/health",
        "/static/css/app.css",
        "/vendor/plotly.min.js",
        "/openapi.json",
        "/api/no-such-thing",
    ],
)
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["connect-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'"


def test_frame_ancestors_follow_the_setting(client, monkeypatch):
    teacher = dataclasses.replace(
        config.settings, frame_ancestors=("'self'", "https://course.example.org")
    )
    monkeypatch.setattr(config, "settings", teacher)
    policy = client.get("/").headers["content-security-policy"]
    assert "frame-ancestors 'self' https://course.example.org" in policy


def test_a_frame_ancestor_that_is_no_csp_source_is_refused():
    with pytest.raises(ValueError, match="not a CSP source"):
        edge.security_headers(("https://course.example.org; script-src *",))


def test_the_pages_have_no_inline_script_or_handler(client):
    for path in ("/", "/network", "/docs"):
        html = client.get(path).text
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
            assert not script.strip(), f"inline script on {path}"
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), f"inline event handler on {path}"
        assert "javascript:" not in html


# --- Compression ----------------------------------------------------------------------


def test_plotly_is_gzipped_for_a_client_that_accepts_it(client):
    zipped = client.get("/vendor/plotly.min.js", headers={"accept-encoding": "gzip"})
    plain = client.get("/vendor/plotly.min.js", headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert zipped.content == plain.content  # httpx decompressed it
    for response in (zipped, plain):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["last-modified"] and response.headers["cache-control"] == "no-cache"
    assert zipped.headers["etag"] != plain.headers["etag"]  # two representations


def test_a_gzipped_file_is_revalidated_by_its_etag(client):
    first = client.get("/static/css/app.css", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = client.get(
        "/static/css/app.css",
        headers={"accept-encoding": "gzip", "if-none-match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    since = client.get(
        "/static/css/app.css",
        headers={"accept-encoding": "gzip", "if-modified-since": first.headers["last-modified"]},
    )
    assert since.status_code == 304
    head = client.head("/static/css/app.css", headers={"accept-encoding": "gzip"})
    assert head.headers["content-length"] == first.headers["content-length"]


def test_gzipped_bytes_are_the_file(client):
    with client.stream(
        "GET", "/vendor/plotly.min.js", headers={"accept-encoding": "gzip"}
    ) as zipped:
        raw_bytes = b"".join(zipped.iter_raw())  # as sent, not decompressed
    plain = client.get("/vendor/plotly.min.js", headers={"accept-encoding": "identity"})
    assert gzip.decompress(raw_bytes) == plain.content


def test_a_range_a_font_or_a_small_file_is_served_plain(client):
    ranged = client.get(
        "/vendor/plotly.min.js", headers={"accept-encoding": "gzip", "range": "bytes=0-99"}
    )
    assert ranged.status_code == 206 and len(ranged.content) == 100
    assert "content-encoding" not in ranged.headers
    for path in ("/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2", "/static/favicon.svg"):
        response = client.get(path, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200 and "content-encoding" not in response.headers


def test_a_big_json_answer_is_gzipped_and_decompresses_to_the_plain_one(live_server):
    body = {"surface": "himmelblau", "resolution": 200}
    with httpx.Client(base_url=live_server, timeout=60) as http:
        zipped = http.post("/api/mesh", json=body, headers={"accept-encoding": "gzip"})
        plain = http.post("/api/mesh", json=body, headers={"accept-encoding": "identity"})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.num_bytes_downloaded < 0.7 * plain.num_bytes_downloaded
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # httpx decompressed it
    assert strict_json(plain.text)["z"]


def test_a_small_json_answer_and_a_stream_are_not_compressed(client):
    health = client.get("/api/health", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in health.headers
    stream = client.post(
        "/api/descent/stream",
        json={
            "surface": "himmelblau",
            "runs": [{"optimizer": "sgd", "lr": 0.01, "start": [1, 1]}] * 8,
            "max_steps": 2000,
        },
        headers={"accept-encoding": "gzip"},
    )
    assert stream.status_code == 200 and "content-encoding" not in stream.headers


@pytest.mark.parametrize(
    ("accept_encoding", "gzip_ok"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("identity", False),
        ("", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0, gzip", True),
    ],
)
def test_accept_encoding(accept_encoding, gzip_ok):
    assert accepts_gzip(Headers({"accept-encoding": accept_encoding})) is gzip_ok


# --- Slow readers ---------------------------------------------------------------------


def test_a_client_that_reads_nothing_is_dropped(live_server, monkeypatch):
    monkeypatch.setattr(limits, "STALLED_CLIENT_SECONDS", 1.0)
    runs = [{"optimizer": "sgd", "lr": 1e-5, "start": [-1.5 + i / 100, 2]} for i in range(64)]
    body = json.dumps(
        {"surface": "rosenbrock", "runs": runs, "max_steps": 3000, "tolerance": 0}
    ).encode()
    with connect(live_server, receive_buffer=4096) as connection:
        connection.settimeout(60)
        connection.sendall(request_head("/api/descent", Content_Length=str(len(body))) + body)
        received = b""
        while b"\r\n\r\n" not in received:  # the head: the answer is being sent
            received += connection.recv(4096)
        head, _, body_read = received.partition(b"\r\n\r\n")
        # Read nothing more: the buffers fill, and a second later the server resets the
        # connection (the socket's pending error says so without reading).
        deadline = time.monotonic() + 60
        while connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != errno.ECONNRESET:
            assert time.monotonic() < deadline, "the server kept a client that read nothing"
            time.sleep(0.1)
        try:
            while chunk := connection.recv(65536):  # what had arrived before the reset
                body_read += chunk
        except ConnectionResetError:
            pass
    assert head.startswith(b"HTTP/1.1 200")
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))
    assert length > 10 * 2**20 and len(body_read) < length  # cut short, not sent whole
    assert httpx.get(f"{live_server}/api/health").status_code == 200


# --- /docs ----------------------------------------------------------------------------


def test_docs_load_only_local_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    assert "/static/vendor/swagger-ui/swagger-ui.css" in urls
    assert "/static/js/docs.js" in urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    assert "SwaggerUIBundle" in client.get("/static/js/docs.js").text
    assert client.get("/static/vendor/swagger-ui/LICENSE").status_code == 200
    assert client.get("/redoc").status_code == 404


# --- Server options -------------------------------------------------------------------


def test_a_websocket_message_over_the_limit_closes_its_socket(live_server):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as websocket

    url = live_server.replace("http://", "ws://") + "/ws/train"
    with websocket(url, origin=live_server, max_size=None) as socket_:
        socket_.send("x" * (limits.MAX_WS_MESSAGE_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            socket_.recv(timeout=10)
    assert closed.value.rcvd.code == 1009  # message too big, refused by uvicorn unread
