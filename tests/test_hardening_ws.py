"""WS /ws/train against a prankster (issue 8): every attack gets a quick, clear answer.

Bad messages get an ``error`` and the session goes on; pages from other sites are
refused; the session cap closes one more with 1013 and a reason; idle sessions close;
an idle session holds its weights, not its last forward pass; the inbox is bounded
in bytes; types are strict.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import time
import tracemalloc

import anyio
import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from app import config, limits
from app.api import live
from tests.conftest import strict_json

START = {
    "type": "start",
    "dataset": {"name": "xor", "n": 60, "seed": 1},
    "network": {"hidden": [4], "activation": "tanh", "seed": 2},
    "epochs": 60,
    "paused": True,
}


def receive(ws) -> dict:
    return strict_json(ws.receive_text())


def error_of(ws) -> dict:
    """The reply to a bad message: an error, short, quoting little of the input."""
    text = ws.receive_text()
    assert len(text) < 1000, text[:200]
    reply = strict_json(text)
    assert reply["type"] == "error", reply
    return reply["detail"][0]


def session_goes_on(ws) -> None:
    ws.send_json(START)
    assert [receive(ws)["type"] for _ in range(3)] == ["start", "epoch", "state"]
    ws.send_json({"type": "step", "epochs": 2})
    assert receive(ws)["epoch"] == 2


def with_settings(monkeypatch, **changes) -> None:
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **changes))


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- Any input: an error reply, and the session goes on -------------------------------

BIG_NAME = "x" * 100_000


@pytest.mark.parametrize(
    ("text", "loc", "error_type"),
    [
        ('{"type": ["start"]}', ["type"], "message_type"),  # unhashable: once a traceback
        ('{"type": {"start": 1}}', ["type"], "message_type"),
        ('{"epochs": 3}', ["type"], "message_type"),
        ('{"type": "fly"}', ["type"], "message_type"),
        (json.dumps({"type": BIG_NAME}), ["type"], "message_type"),
        (nested(5_000), [], "json_invalid"),  # once dropped the socket with no close frame
        ('{"type": "set", "lr": ' + nested(500) + "}", ["type"], "no_session"),
        ('{"type": "start", "dataset": ' + nested(500) + "}", ["dataset"], "model_type"),
        ("[]", [], "message_type"),
        ('"start"', [], "message_type"),
        ("null", [], "message_type"),
        ("12", [], "message_type"),
        ("", [], "json_invalid"),
        ('{"type": "step", "epochs": NaN}', [], "json_invalid"),
        ('{"type": "step", "epochs": 1e999}', ["epochs"], "int_type"),
        ('{"type": "step", "epochs": ' + "9" * 5000 + "}", [], "json_invalid"),
        ('{"type": "pause", "' + BIG_NAME + '": 1}', ["x" * 79 + "…"], "extra_forbidden"),
        ('{"type": "start", "dataset": {"name": "' + BIG_NAME + '"}}', ["dataset", "name"], None),
    ],
)
def test_bad_messages_get_a_short_error_and_the_session_goes_on(client, text, loc, error_type):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_text(text)
        error = error_of(ws)
        assert error["loc"] == loc
        if error_type:
            assert error["type"] == error_type
        session_goes_on(ws)


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"type": ["start"]}, "(an array)"),
        ({"type": {"start": 1}}, "(an object)"),
        ({"type": 3}, "(a number)"),
        ({"type": None}, "(null)"),
        ({"type": "fly"}, "(the string 'fly')"),
        ({"epochs": 3}, "(missing)"),
    ],
)
def test_a_bad_type_is_named_in_the_error(client, message, says):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(message)
        error = error_of(ws)
        assert error["msg"].startswith("type must be one of start, step, pause")
        assert error["msg"].endswith(says)


def test_an_unknown_hyperparameter_with_a_huge_name_is_quoted_short(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(START)
        receive_until_state(ws)
        ws.send_json({"type": "set", BIG_NAME: 0.1})
        error = error_of(ws)
        assert error["type"] == "optimizer_spec" and error["loc"] == ["x" * 79 + "…"]
        ws.send_json({"type": "set", "optimizer": BIG_NAME})
        assert error_of(ws)["loc"] == ["optimizer"]
        ws.send_json({"type": "step", "epochs": 1})
        assert receive(ws)["epoch"] == 1


def receive_until_state(ws) -> list[dict]:
    messages = [receive(ws)]
    while messages[-1]["type"] != "state":
        messages.append(receive(ws))
    return messages


def test_binary_frames_get_an_error(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_bytes(json.dumps(START).encode())
        assert error_of(ws)["type"] == "binary_message"
        session_goes_on(ws)


def test_a_message_over_the_size_bound_is_refused_unread(client):
    huge = json.dumps({**START, "padding": "x" * (3 * limits.MAX_WS_MESSAGE_BYTES)})
    with client.websocket_connect("/ws/train") as ws:
        ws.send_text(huge)
        error = error_of(ws)
        assert error["type"] == "message_too_large"
        assert str(limits.MAX_WS_MESSAGE_BYTES) in error["msg"]
        ws.send_text("é" * (limits.MAX_WS_MESSAGE_BYTES // 2 + 1))  # bytes, not characters
        assert error_of(ws)["type"] == "message_too_large"
        session_goes_on(ws)


def test_a_failure_inside_the_server_is_an_error_reply_not_a_dropped_session(client, monkeypatch):
    def broken(session):
        raise RuntimeError("a bug")

    monkeypatch.setattr(live.LiveSession, "snapshot", broken)
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(START)
        receive_until_state(ws)
        ws.send_json({"type": "weights"})
        assert error_of(ws)["type"] == "server_error"
        ws.send_json({"type": "step", "epochs": 1})
        assert receive(ws)["epoch"] == 1


def test_big_messages_are_parsed_in_a_worker_small_ones_on_the_loop(client, monkeypatch):
    run_in_worker = live.compute.run
    parsed_in_worker = []

    async def recording_run(function, *args):
        if function is live.parse:
            parsed_in_worker.append(len(args[0]))
        return await run_in_worker(function, *args)

    monkeypatch.setattr(live.compute, "run", recording_run)
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, (4000, 2)).tolist()
    inline = {"x": points, "y": [float(a * b > 0) for a, b in points], "task": "classification"}
    big = json.dumps({**START, "dataset": inline, "epochs": 5})
    assert len(big) > live.PARSE_ON_LOOP_CHARS
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(START)
        receive_until_state(ws)
        assert parsed_in_worker == []
        ws.send_text(big)
        assert receive(ws)["type"] == "start"
    assert parsed_in_worker == [len(big)]


# --- Types are strict -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "loc"),
    [
        ({"type": "step", "epochs": "10"}, ["epochs"]),
        ({"type": "step", "epochs": True}, ["epochs"]),
        ({"type": "step", "epochs": 2.0}, ["epochs"]),
        ({"type": "set", "l2": "0.1"}, ["l2"]),
        ({"type": "set", "epochs_per_second": False}, ["epochs_per_second"]),
        ({"type": "set", "lr": "0.1"}, ["lr"]),
        ({"type": "set", "amsgrad": 1}, ["amsgrad"]),
        ({**START, "epochs": "10"}, ["epochs"]),
        ({**START, "paused": 1}, ["paused"]),
        ({**START, "dataset": {"name": "xor", "n": "60"}}, ["dataset", "n"]),
        ({**START, "network": {"hidden": [4, True]}}, ["network", "hidden", 1]),
    ],
)
def test_types_are_strict(client, message, loc):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(START)
        receive_until_state(ws)
        ws.send_json(message)
        assert error_of(ws)["loc"] == loc


def test_a_float_field_takes_a_json_integer(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "l2": 0, "epochs_per_second": 30})
        assert receive(ws)["l2"] == 0
        receive_until_state(ws)
        ws.send_json({"type": "set", "lr": 1, "l2": 1, "epochs_per_second": 0})
        state = receive(ws)
        assert state["hyperparameters"]["lr"] == 1 and state["l2"] == 1


# --- Who may connect ------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://testserver:8080",
        "https://testserver",
        "http://evil.example@testserver",
        "null",
        "nonsense",
    ],
)
def test_a_page_from_another_origin_is_refused_before_the_handshake(client, origin):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws/train", headers={"origin": origin}):
            pass
    assert refused.value.code == 1008


@pytest.mark.parametrize("origin", [None, "http://testserver", "HTTP://TestServer:80"])
def test_the_servers_own_page_and_clients_without_origin_may_connect(client, origin):
    headers = {} if origin is None else {"origin": origin}
    with client.websocket_connect("/ws/train", headers=headers) as ws:
        session_goes_on(ws)


def test_origins_the_teacher_allows_may_connect(client, monkeypatch):
    with_settings(monkeypatch, allowed_origins=("https://course.example", "http://lab:8000"))
    for origin in ("https://course.example", "https://course.example:443", "http://lab:8000"):
        with client.websocket_connect("/ws/train", headers={"origin": origin}) as ws:
            session_goes_on(ws)
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/train", headers={"origin": "http://course.example"}):
            pass


def test_a_real_server_answers_an_evil_origin_with_403(live_server):
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    url = live_server.replace("http", "ws") + "/ws/train"

    async def attempt(origin: str) -> int:
        try:
            async with connect(url, origin=origin) as ws:
                await ws.send(json.dumps(START))
                assert json.loads(await ws.recv())["type"] == "start"
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    assert asyncio.run(attempt("http://evil.example")) == 403
    assert asyncio.run(attempt(live_server)) == 101  # the page's own origin


# --- The session cap and idle sessions ------------------------------------------------


def test_one_session_over_the_cap_is_closed_with_1013_and_a_reason(client, monkeypatch):
    wait_for_no_sessions()
    with_settings(monkeypatch, max_sessions=2)
    with client.websocket_connect("/ws/train") as first:
        with client.websocket_connect("/ws/train") as second:
            with client.websocket_connect("/ws/train") as third:
                with pytest.raises(WebSocketDisconnect) as closed:
                    third.receive_text()
            assert closed.value.code == 1013
            assert closed.value.reason == (
                "The server has 2 live training sessions, its limit; try again in a minute."
            )
            session_goes_on(second)
        session_goes_on(first)
        with client.websocket_connect("/ws/train") as another:  # room again
            session_goes_on(another)


def wait_for_no_sessions() -> None:
    """Sockets of earlier tests end shortly after their client closed them."""
    for _ in range(500):
        if not live.connections:
            return
        time.sleep(0.01)
    raise AssertionError("sockets of earlier tests are still open")


async def closed_when_idle(url: str, start: dict | None, listen_seconds: float):
    """Connect, maybe start a run, and listen: the close frame, or None if still open."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(url, max_size=None) as ws:
        if start is not None:
            await ws.send(json.dumps(start))
        try:
            with anyio.fail_after(listen_seconds):
                while True:
                    await ws.recv()
        except ConnectionClosed as closed:
            return closed.rcvd
        except TimeoutError:
            return None


@pytest.mark.parametrize(
    "start",
    [None, START, {**START, "paused": False, "epochs": 20}],
    ids=["never started", "paused", "finished"],
)
def test_an_idle_session_is_closed_with_a_reason(live_server, monkeypatch, start):
    with_settings(monkeypatch, idle_seconds=0.5)
    url = live_server.replace("http", "ws") + "/ws/train"
    close = asyncio.run(closed_when_idle(url, start, listen_seconds=30))
    assert close is not None and close.code == 1000
    assert close.reason == "Closed after 0.5 seconds without training or a message from this page."
    assert live.idle_reason(600) == (
        "Closed after 10 minutes without training or a message from this page."
    )


def test_a_training_session_is_not_idle(live_server, monkeypatch):
    with_settings(monkeypatch, idle_seconds=0.3)
    url = live_server.replace("http", "ws") + "/ws/train"
    running = {**START, "paused": False, "epochs": 20000, "epochs_per_second": 30}
    assert asyncio.run(closed_when_idle(url, running, listen_seconds=1.5)) is None


# --- Memory: an idle session holds its weights, not its last forward pass --------------


def _held_by_optimizer(optimizer) -> int:
    return sum(
        value.nbytes
        for state in optimizer.state
        for value in state.values()
        if isinstance(value, np.ndarray)
    )


def test_an_idle_session_of_the_largest_network_holds_little_beyond_its_weights():
    biggest = {
        **START,
        "dataset": {"name": "spiral", "n": limits.MAX_DATASET_POINTS},
        "network": {"hidden": [limits.MAX_HIDDEN_UNITS] * limits.MAX_HIDDEN_LAYERS},
        "epochs": 20,
        "boundary_resolution": limits.MAX_BOUNDARY_RESOLUTION,
    }
    message = live.parse(json.dumps(biggest))
    live._open_session(live.parse(json.dumps(START)))  # imports and caches: not the session's
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        session, texts = live._open_session(message)
        del texts
        session.step(3)
        while session.wants_work:
            session.advance(1.0)  # epochs and their boundaries, as the socket would send them
        session.pause()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    training = session.training
    assert training.epoch == 3
    net = training.net
    weights_and_state = (
        2 * net.theta.nbytes  # the weights and the last finite weights
        + net.grad.nbytes
        + _held_by_optimizer(training.optimizer)
    )
    assert weights_and_state > 1_000_000  # Adam on ~29,000 weights
    assert held - weights_and_state < 2_000_000  # a forward pass's activations were 40 MB


# --- The inbox is bounded in bytes -----------------------------------------------------


class StalledClient:
    """A client that sends megabyte messages as fast as it is read, and counts them."""

    def __init__(self, size: int):
        self.text = '{"type": "pause", "pad": "' + "x" * (size - 30) + '"}'
        self.read = 0

    async def receive(self) -> dict:
        self.read += 1
        return {"type": "websocket.receive", "text": self.text}


def test_a_full_inbox_stops_reading_the_socket():
    async def main():
        client = StalledClient(limits.MAX_WS_MESSAGE_BYTES - 10)
        connection = live.Connection(client)
        inbox = live.Inbox(limits.MAX_WS_INBOX_BYTES)
        async with anyio.create_task_group() as group:
            group.start_soon(connection.read, inbox)
            for _ in range(20):
                await anyio.sleep(0)
            stalled_at = client.read
            assert inbox.size <= limits.MAX_WS_INBOX_BYTES
            assert stalled_at == limits.MAX_WS_INBOX_BYTES // limits.MAX_WS_MESSAGE_BYTES
            for _ in range(20):
                await anyio.sleep(0)
            assert client.read == stalled_at  # nothing more was read while the inbox was full
            assert inbox.take_nowait() == client.text
            for _ in range(20):
                await anyio.sleep(0)
            assert client.read == stalled_at + 1  # room for one more: read one more
            group.cancel_scope.cancel()

    anyio.run(main)


def test_small_messages_fill_the_inbox_up_to_its_bound_in_bytes():
    async def main():
        client = StalledClient(1000)
        inbox = live.Inbox(limits.MAX_WS_INBOX_BYTES)
        async with anyio.create_task_group() as group:
            group.start_soon(live.Connection(client).read, inbox)
            for _ in range(5000):
                await anyio.sleep(0)
            capacity = limits.MAX_WS_INBOX_BYTES - limits.MAX_WS_MESSAGE_BYTES
            assert capacity - 1000 < inbox.size <= capacity + 1000
            group.cancel_scope.cancel()

    anyio.run(main)
