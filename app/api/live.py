"""``WS /ws/train``: the live training session the network page uses.

The client sends ``start`` (a train body), ``pause``, ``resume``, ``step``
(``epochs``), ``set`` (optimizer hyperparameters, ``optimizer``, ``l2``,
``epochs_per_second``), ``weights`` and ``stop``; the server sends ``start``,
``epoch`` (the newest record plus the ``history`` since the last message),
``done``, ``state``, ``weights`` (the current weights and gradient, on request)
and ``error``.

Training runs in the shared workers (``app.api.compute``) a chunk at a time
(about 1/30 s), so the event loop stays free, messages go out at most ~30 times
a second, and a message from the client is handled within one chunk. A closed
socket stops the work.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Literal

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app import limits, optim
from app.api import compute
from app.api.net_schemas import TrainRequest
from app.nets.live import LiveSession
from app.nets.train import Training, training_work

router = APIRouter(tags=["live"])

CHUNK_SECONDS = 0.03  # training between two messages
MESSAGE_INTERVAL = 1 / 30  # at most ~30 messages a second
MAX_EPOCHS_PER_SECOND = 1e6
connections: set[Connection] = set()  # the open sockets (for monitoring and tests)


class StartMessage(TrainRequest):
    """A train body: the live run sends only the newest boundary, at most ~30 times a second,
    so the bound on recorded boundaries does not apply, nor does their work."""

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

    def work(self) -> int:
        n_train, n_test = self.dataset.sizes()
        settings = replace(self.settings(), boundary_resolution=0)
        return training_work(n_train, n_test, self.network.parameters(), settings)


class StepMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=limits.MAX_EPOCHS)


class ControlMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["pause", "resume", "stop", "weights"]


class SetMessage(BaseModel):
    """Other fields are the optimizer's hyperparameters (checked against the optimizer)."""

    model_config = ConfigDict(extra="allow")
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


class MessageError(Exception):
    """A message the session cannot take; ``detail`` is FastAPI's usual error list."""

    def __init__(self, detail: list[dict]):
        self.detail = detail

    @classmethod
    def at(cls, loc: list, msg: str, error_type: str) -> MessageError:
        return cls([{"loc": loc, "msg": msg, "type": error_type}])


def parse(text: str) -> BaseModel:
    """A client message as its model, or MessageError."""
    try:
        message = json.loads(text)
    except ValueError:
        raise MessageError.at([], "a message must be a JSON object", "json_invalid") from None
    if not isinstance(message, dict) or message.get("type") not in MESSAGES:
        kinds = ", ".join(MESSAGES)
        raise MessageError.at(["type"], f"type must be one of {kinds}", "message_type")
    try:
        return MESSAGES[message["type"]].model_validate(message)
    except ValidationError as error:
        errors = error.errors()
        raise MessageError(
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
        ) from None


def dumps(message: dict) -> str:
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


def _open_session(message: StartMessage) -> tuple[LiveSession, list[str]]:
    """Build the run and its opening messages (in a worker thread: it measures epoch 0)."""
    training = Training(message.dataset.load(), message.network.build(), message.settings())
    session = LiveSession(
        training, paused=message.paused, epochs_per_second=message.epochs_per_second
    )
    return session, [dumps(m) for m in session.opening_messages()]


def _advance(session: LiveSession) -> list[str]:
    return [dumps(m) for m in session.advance(CHUNK_SECONDS)]


class Connection:
    """One socket: reads messages into an inbox, drives the session, sends the replies."""

    def __init__(self, websocket: WebSocket):
        self.websocket = websocket
        self.session: LiveSession | None = None

    async def send(self, message: dict) -> None:
        await self.websocket.send_text(dumps(message))

    async def error(self, detail: list) -> None:
        await self.send({"type": "error", "detail": detail})

    async def serve(self) -> None:
        """Read and drive side by side; when the socket closes, both stop."""
        send_inbox, receive_inbox = anyio.create_memory_object_stream[str](max_buffer_size=100)
        async with anyio.create_task_group() as group:

            async def read_then_stop() -> None:
                await self.read(send_inbox)
                group.cancel_scope.cancel()

            group.start_soon(read_then_stop)
            try:
                await self.drive(receive_inbox)
            except WebSocketDisconnect:
                pass  # the client left while we were sending
            group.cancel_scope.cancel()

    async def read(self, inbox) -> None:
        """Put every text message in the inbox; end (and so stop everything) on close."""
        async with inbox:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await inbox.send(
                    message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
                )

    async def drive(self, inbox) -> None:
        """Handle messages; while the session wants work, train a chunk and send it."""
        async with inbox:
            while True:
                if self.session is None or not self.session.wants_work:
                    try:
                        await self.handle(await inbox.receive())
                    except anyio.EndOfStream:
                        return
                    continue
                while True:
                    try:
                        text = inbox.receive_nowait()
                    except anyio.WouldBlock:
                        break
                    except anyio.EndOfStream:
                        return
                    await self.handle(text)
                if self.session is None or not self.session.wants_work:
                    continue
                started = anyio.current_time()
                for text in await compute.run(_advance, self.session):
                    await self.websocket.send_text(text)
                await anyio.sleep(max(0.0, MESSAGE_INTERVAL - (anyio.current_time() - started)))

    async def handle(self, text: str) -> None:
        try:
            message = parse(text)
            await self.apply(message)
        except MessageError as error:
            await self.error(error.detail)

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
        if message.type == "weights":
            await self.send(await compute.run(session.snapshot))
            return
        if message.type == "pause":
            session.pause()
        elif message.type == "resume":
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
    """The live training session (see the module notes for its messages)."""
    await websocket.accept()
    connection = Connection(websocket)
    connections.add(connection)
    try:
        await connection.serve()
    finally:
        connections.discard(connection)
