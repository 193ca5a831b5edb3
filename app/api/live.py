"""``WS /ws/train``: the live training session the network page uses.

The client sends ``start`` (a train body), ``pause``, ``resume``, ``step``
(``epochs``), ``set`` (optimizer hyperparameters, ``optimizer``, ``l2``,
``epochs_per_second``), ``weights`` and ``stop``; the server sends ``start``,
``epoch`` (the newest record, its verdict, the unit maps at most 4 times a second,
plus the ``history`` since the last message),
``done``, ``state``, ``weights`` (the current weights and gradient, on request)
and ``error``.

Training runs in the shared workers (``app.api.compute``) a chunk at a time
(about 1/30 s), so the event loop stays free, messages go out at most ~30 times
a second, and a message from the client is handled within one chunk. A closed
socket stops the work.

A server a class shares must hold up to every tab and to a prankster:
- any message gets an answer: a bad one an ``error`` reply, and the session goes on;
- a browser page from another site is refused before the handshake completes
  (``Origin`` must be the server's own, or one of ``settings.allowed_origins``);
- at most ``settings.max_sessions`` sockets per worker process: one more is closed
  at once with code 1013 and a reason the page shows;
- a socket that has neither heard from its client nor trained for
  ``settings.idle_seconds`` is closed (code 1000, with a reason);
- client messages wait in an inbox of at most ``limits.MAX_WS_INBOX_BYTES``: when
  it is full the socket is not read (TCP slows the client down); a message over
  ``limits.MAX_WS_MESSAGE_BYTES`` is refused unread, and a big one is parsed in a
  worker, not on the event loop.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import replace
from typing import Literal
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app import config, limits, optim
from app.api import compute
from app.api.net_schemas import TrainRequest, excerpt
from app.api.responses import encode
from app.nets.live import LiveSession
from app.nets.train import Training, training_work

router = APIRouter(tags=["live"])
logger = logging.getLogger(__name__)

CHUNK_SECONDS = 0.03  # training between two messages
MESSAGE_INTERVAL = 1 / 30  # at most ~30 messages a second
MAX_EPOCHS_PER_SECOND = 1e6
PARSE_ON_LOOP_CHARS = 64 * 1024  # a longer message is parsed in a worker thread
# The longest error message the server writes is about 200 characters; a longer one
# quotes too much of the input (a hyperparameter's name, say) and is cut.
MAX_ERROR_MESSAGE_CHARS = 240 + limits.MAX_ERROR_EXCERPT

CLOSE_TRY_AGAIN_LATER = 1013  # the session cap
CLOSE_POLICY_VIOLATION = 1008  # a page from another origin (before the handshake: 403)
CLOSE_NORMAL = 1000  # an idle session

connections: set[Connection] = set()  # the open sockets (for the cap, monitoring and tests)


class StartMessage(TrainRequest):
    """A train body: the live run sends only the newest boundary, at most ~30 times a second,
    and the newest unit maps at most 4 times a second, so the bounds on recorded boundaries
    and maps do not apply, nor does their work; one message's maps are bounded instead."""

    type: Literal["start"]
    paused: bool = Field(False, description="start paused (then send step or resume)")
    epochs_per_second: float | None = Field(
        None,
        ge=0,
        le=MAX_EPOCHS_PER_SECOND,
        allow_inf_nan=False,
        description="train at most this fast while running (null or 0: as fast as it goes)",
    )

    def check_boundary_values(self) -> None:
        pass

    def check_unit_values(self) -> None:
        self.check_unit_values_per_record()

    def work(self) -> int:
        n_train, n_test = self.dataset.sizes()
        settings = replace(self.settings(), boundary_resolution=0, unit_resolution=0)
        return training_work(n_train, n_test, self.network.parameters(), settings)


class StepMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=limits.MAX_EPOCHS)


class ControlMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: Literal["pause", "resume", "stop", "weights"]


class SetMessage(BaseModel):
    """Other fields are the optimizer's hyperparameters (checked against the optimizer)."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: Literal["set"]
    optimizer: str | None = None
    l2: float | None = Field(None, ge=0, le=limits.MAX_L2, allow_inf_nan=False)
    epochs_per_second: float | None = Field(
        None, ge=0, le=MAX_EPOCHS_PER_SECOND, allow_inf_nan=False, description="0: no limit"
    )


MESSAGES = {
    "start": StartMessage,
    "step": StepMessage,
    "pause": ControlMessage,
    "resume": ControlMessage,
    "stop": ControlMessage,
    "set": SetMessage,
    "weights": ControlMessage,
}


# --- Messages in -------------------------------------------------------------------


class MessageError(Exception):
    """A message the session cannot take; ``detail`` is FastAPI's usual error list."""

    def __init__(self, detail: list[dict]):
        self.detail = detail

    @classmethod
    def at(cls, loc: list, msg: str, error_type: str) -> MessageError:
        return cls([error_detail(loc, msg, error_type)])


def error_detail(loc, msg: str, error_type: str) -> dict:
    """One error, quoting at most a short excerpt of the input (a field's name, a value)."""
    loc = [part if isinstance(part, int) else excerpt(str(part)) for part in loc]
    return {"loc": loc, "msg": excerpt(msg, MAX_ERROR_MESSAGE_CHARS), "type": error_type}


def _json_kind(value) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {excerpt(value)!r}"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return "a number"


def _refuse_constant(token: str):
    raise ValueError(f"{token} is not JSON (JSON numbers are finite)")


def parse(text: str) -> BaseModel:
    """A client message as its model, or MessageError (whatever the text holds)."""
    try:
        message = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise MessageError.at([], "the message is nested too deeply", "json_invalid") from None
    except ValueError as error:  # JSONDecodeError, NaN, a number with too many digits
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise MessageError.at(
            [], f"a message must be a JSON object ({reason})", "json_invalid"
        ) from None
    if not isinstance(message, dict):
        raise MessageError.at(
            [], f"a message must be a JSON object, not {_json_kind(message)}", "message_type"
        )
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        given = "missing" if "type" not in message else _json_kind(kind)
        raise MessageError.at(
            ["type"], f"type must be one of {', '.join(MESSAGES)} ({given})", "message_type"
        )
    try:
        return MESSAGES[kind].model_validate(message)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False, include_context=False)
        raise MessageError([error_detail(e["loc"], e["msg"], e["type"]) for e in errors]) from None
    except RecursionError:  # a deeply nested value where any value is taken (a hyperparameter)
        raise MessageError.at([], "the message is nested too deeply", "json_invalid") from None


def incoming(message: dict) -> tuple[str | MessageError, int]:
    """A received ASGI message as an inbox item and its size in bytes; a message that will
    not be parsed (binary, too big) becomes its error at once, and takes no room."""
    text = message.get("text")
    if text is None:
        return MessageError.at([], "messages are JSON text, not binary", "binary_message"), 0
    bound = limits.MAX_WS_MESSAGE_BYTES
    # UTF-8 takes at least a byte a character: only a text near the bound is measured exactly.
    size = len(text) if len(text) > bound else len(text.encode(errors="surrogatepass"))
    if size > bound:
        msg = f"a message may have at most {bound} bytes; this one has {size}"
        return MessageError.at([], msg, "message_too_large"), 0
    return text, size


class Inbox:
    """The client's messages waiting for the session, at most ``capacity`` bytes of them.

    The reader waits for room for the largest message before it reads the next one,
    so a client that sends faster than its session handles is held back by TCP (the
    socket is not read meanwhile) instead of filling the server's memory.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.size = 0
        self._items: deque[tuple[str | MessageError, int]] = deque()
        self._changed = anyio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for_room(self, size: int) -> None:
        while self.size + size > self.capacity:
            await self._changed.wait()

    def put(self, item: str | MessageError, size: int) -> None:
        self._items.append((item, size))
        self.size += size
        self._notify()

    def take_nowait(self) -> str | MessageError | None:
        """The oldest waiting message, or None."""
        if not self._items:
            return None
        item, size = self._items.popleft()
        self.size -= size
        self._notify()
        return item

    async def take(self, timeout: float) -> str | MessageError | None:
        """The oldest message, waiting at most ``timeout`` seconds for one (else None)."""
        with anyio.move_on_after(timeout):
            while (item := self.take_nowait()) is None:
                await self._changed.wait()
            return item
        return None


# --- Who may connect ---------------------------------------------------------------


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of ``scheme://host[:port]``, or None if it is not one."""
    try:
        parts = urlsplit(origin.strip().lower())
        scheme, host = parts.scheme, parts.hostname
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None:
        return None
    return scheme, host, port


def origin_allowed(websocket: WebSocket) -> bool:
    """A browser says which page opened the socket (``Origin``): it must be this server's
    own page (scheme://host:port as its ``Host`` header says) or an origin the teacher
    allowed. A client that is not a browser sends no Origin, and may connect."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    key = _origin_key(origin)
    if key is None:  # "null" (a sandboxed frame, a file) or nonsense
        return False
    scheme = "https" if websocket.url.scheme in ("wss", "https") else "http"
    own = f"{scheme}://{websocket.headers.get('host', '')}"
    return any(_origin_key(allowed) == key for allowed in (own, *config.settings.allowed_origins))


def _duration(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"


def full_reason(sessions: int) -> str:
    counted = "1 live training session" if sessions == 1 else f"{sessions} live training sessions"
    return f"The server has {counted}, its limit; try again in a minute."


def idle_reason(seconds: float) -> str:
    return f"Closed after {_duration(seconds)} without training or a message from this page."


# --- The session ---------------------------------------------------------------------


def dumps(message: dict) -> str:
    """A message as compact JSON text, by orjson (an epoch message with unit maps holds
    up to 150,000 numbers: ten times faster than the json module, in the worker)."""
    return encode(message).decode()


def _open_session(message: StartMessage) -> tuple[LiveSession, list[str]]:
    """Build the run and its opening messages (in a worker thread: it measures epoch 0)."""
    training = Training(message.dataset.load(), message.network.build(), message.settings())
    session = LiveSession(
        training, paused=message.paused, epochs_per_second=message.epochs_per_second
    )
    return session, [dumps(m) for m in session.opening_messages()]


def _snapshot(session: LiveSession) -> str:
    return dumps(session.snapshot())


def _resting_units(session: LiveSession) -> list[str]:
    return [dumps(m) for m in session.resting_units()]


def _advance(session: LiveSession) -> list[str]:
    return [dumps(m) for m in session.advance(CHUNK_SECONDS)]


class Connection:
    """One socket: reads messages into an inbox, drives the session, sends the replies."""

    def __init__(self, websocket: WebSocket):
        self.websocket = websocket
        self.session: LiveSession | None = None
        self.idle_seconds = config.settings.idle_seconds
        self.active_at = anyio.current_time()  # the last client message, or training

    @property
    def training(self) -> bool:
        return self.session is not None and self.session.wants_work

    async def send(self, message: dict) -> None:
        await self.websocket.send_text(dumps(message))

    async def error(self, detail: list) -> None:
        await self.send({"type": "error", "detail": detail})

    async def serve(self) -> None:
        """Read and drive side by side; when the socket closes, both stop."""
        inbox = Inbox(limits.MAX_WS_INBOX_BYTES)
        async with anyio.create_task_group() as group:

            async def read_then_stop() -> None:
                await self.read(inbox)
                group.cancel_scope.cancel()

            group.start_soon(read_then_stop)
            try:
                await self.drive(inbox)
            except WebSocketDisconnect:
                pass  # the client left while we were sending
            group.cancel_scope.cancel()

    async def read(self, inbox: Inbox) -> None:
        """Put every client message in the inbox, reading only while it has room for the
        largest; end (and so stop everything) on close."""
        while True:
            await inbox.wait_for_room(limits.MAX_WS_MESSAGE_BYTES)
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.active_at = anyio.current_time()
            inbox.put(*incoming(message))

    async def drive(self, inbox: Inbox) -> None:
        """Handle messages; while the session wants work, train a chunk and send it.
        Idle too long (no message, no training): close the socket."""
        while True:
            if not self.training:
                quiet_until = self.active_at + self.idle_seconds
                item = await inbox.take(timeout=max(0.0, quiet_until - anyio.current_time()))
                if item is not None:
                    await self.handle(item)
                elif anyio.current_time() >= self.active_at + self.idle_seconds:
                    await self.websocket.close(CLOSE_NORMAL, idle_reason(self.idle_seconds))
                    return
                continue
            while (item := inbox.take_nowait()) is not None:
                await self.handle(item)
            if not self.training:
                continue
            started = anyio.current_time()
            for text in await compute.run(_advance, self.session):
                await self.websocket.send_text(text)
            self.active_at = anyio.current_time()
            await anyio.sleep(max(0.0, MESSAGE_INTERVAL - (anyio.current_time() - started)))

    async def handle(self, item: str | MessageError) -> None:
        """Answer one message; nothing a client sends ends the session."""
        try:
            if isinstance(item, MessageError):
                raise item
            if len(item) > PARSE_ON_LOOP_CHARS:
                message = await compute.run(parse, item)
            else:
                message = parse(item)
            await self.apply(message)
        except MessageError as error:
            await self.error(error.detail)
        except WebSocketDisconnect:
            raise
        except Exception:  # a bug: say so, log it, and keep the session
            logger.exception("WS /ws/train: a message failed")
            msg = "the server failed on this message (its log says why); the session is kept"
            await self.error([error_detail([], msg, "server_error")])

    async def apply(self, message: BaseModel) -> None:
        if isinstance(message, StartMessage):
            self.session = None
            self.session, texts = await compute.run(_open_session, message)
            for text in texts:
                await self.websocket.send_text(text)
            return
        session = self.session
        if session is None:
            raise MessageError.at(["type"], "no run yet: send start first", "no_session")
        if message.type == "stop":
            session.pause()
            self.session = None
            await self.send({"type": "state", "running": False, "epoch": session.training.epoch})
            return
        if session.finished and message.type in ("resume", "step", "set"):
            raise MessageError.at(
                ["type"],
                f"the run has ended ({session.training.status}); send start for a new run",
                "run_ended",
            )
        if message.type == "weights":  # ~1 MB of JSON for the largest network: built off the loop
            await self.websocket.send_text(await compute.run(_snapshot, session))
            return
        if message.type == "pause":
            session.pause()
            await self.send(session.state())
            for text in await compute.run(_resting_units, session):  # the maps of the paused net
                await self.websocket.send_text(text)
            return
        if message.type == "resume":
            session.resume()
        elif message.type == "step":
            session.step(message.epochs)
            return  # the state follows the stepped epochs
        elif message.type == "set":
            await self.send(self.set(session, message))
            return
        await self.send(session.state())

    def set(self, session: LiveSession, message: SetMessage) -> dict:
        optimizer = message.optimizer or session.training.settings.optimizer
        try:
            hyperparameters = session.set(optimizer, dict(message.model_extra or {}), message.l2)
        except optim.OptimizerSpecError as error:
            raise MessageError.at([error.field], error.message, "optimizer_spec") from None
        if message.epochs_per_second is not None:
            session.set_pace(message.epochs_per_second)
        return session.state(
            optimizer=optimizer,
            hyperparameters=hyperparameters,
            l2=session.training.settings.l2,
            epochs_per_second=session.epochs_per_second,
        )


@router.websocket("/ws/train")
async def train_socket(websocket: WebSocket) -> None:
    """The live training session (see the module notes for its messages and bounds)."""
    if not origin_allowed(websocket):
        await websocket.close(CLOSE_POLICY_VIOLATION)  # before accepting: the handshake gets 403
        return
    sessions = config.settings.max_sessions
    if len(connections) >= sessions:
        await websocket.accept()  # so the page gets the code and the reason
        await websocket.close(CLOSE_TRY_AGAIN_LATER, full_reason(sessions))
        return
    connection = Connection(websocket)
    connections.add(connection)  # counted at once: no await between the check and here
    try:
        await websocket.accept()
        await connection.serve()
    finally:
        connections.discard(connection)
