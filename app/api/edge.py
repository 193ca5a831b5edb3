"""The HTTP edge: what every request and response passes before and after FastAPI.

Pure ASGI middlewares (none buffers a response, so streams stay streams):

- ``BodyLimit``: a request body over ``limits.MAX_REQUEST_BYTES`` gets 413 before
  anything parses it: at once when Content-Length says so, else as soon as the
  chunks read pass the limit (reading stops there); 408 for a body that stops
  arriving for ``limits.STALLED_CLIENT_SECONDS``.
- ``SlowReaderGuard``: a client that reads nothing of a response for
  ``limits.STALLED_CLIENT_SECONDS`` is dropped, so its unsent body is freed.
- ``SecurityHeaders``: Content-Security-Policy (this server's own scripts, styles,
  fonts and connections only; frames from ``config.settings.frame_ancestors``),
  X-Content-Type-Options and Referrer-Policy on every HTTP response.
"""

from __future__ import annotations

import functools
import logging
import socket
import struct
import traceback
from collections import deque

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import config, limits, serving
from app.api.responses import encode

# Self only. 'unsafe-inline' styles: Plotly, KaTeX and Swagger UI set style attributes
# in the markup they build; no inline script runs anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)


@functools.lru_cache(maxsize=8)
def security_headers(frame_ancestors: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
    """The headers every response gets, for the sites that may embed the pages."""
    sources = " ".join(serving.csp_source(source) for source in frame_ancestors) or "'none'"
    policy = "; ".join((*CONTENT_SECURITY_POLICY, f"frame-ancestors {sources}"))
    return (
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # A frame-ancestors source set by hand that is not one (GH_FRAME_ANCESTORS="a; b")
        # stops the server at start, saying which, rather than failing every response.
        security_headers(config.settings.frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read per request, so the settings in force (or a test's) always apply.
        extra = security_headers(config.settings.frame_ancestors)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Bodies


async def _refuse(send: Send, status: int, error_type: str, message: str, **context) -> None:
    """An error in FastAPI's shape, for requests the edge answers before FastAPI sees them."""
    detail = {"loc": ["body"], "msg": message, "type": error_type, "ctx": context}
    body = encode({"detail": [detail]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body is left unread: the connection cannot carry another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _refuse_too_large(send: Send) -> None:
    limit = limits.MAX_REQUEST_BYTES
    await _refuse(
        send,
        413,
        "request_too_large",
        f"The request body is larger than the limit of {limit:,} bytes ({limit / 2**20:g} MiB).",
        limit_bytes=limit,
    )


async def _refuse_stalled(send: Send) -> None:
    seconds = limits.STALLED_CLIENT_SECONDS
    await _refuse(
        send,
        408,
        "request_timeout",
        f"The request body stopped arriving: nothing came for {seconds:g} seconds.",
        timeout_seconds=seconds,
    )


class BodyLimit:
    """413 for a body over ``limits.MAX_REQUEST_BYTES``, before anything parses it.

    The body is read here, a chunk at a time, and handed on unchanged once it has
    all arrived within the limit; a body that stops arriving for
    ``limits.STALLED_CLIENT_SECONDS`` gets 408.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limits.MAX_REQUEST_BYTES
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _refuse_too_large(send)
            return

        received: deque[Message] = deque()
        size = 0
        while True:
            message = None
            with anyio.move_on_after(limits.STALLED_CLIENT_SECONDS):
                message = await receive()
            if message is None:
                await _refuse_stalled(send)
                return
            received.append(message)
            if message["type"] != "http.request":  # the client left
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _refuse_too_large(send)
                return
            if not message.get("more_body", False):
                break

        async def receive_again() -> Message:
            # The messages read above, once each (released as handed on), then the live ones
            # (a streaming response listens there for the client leaving).
            if received:
                return received.popleft()
            return await receive()

        await self.app(scope, receive_again, send)


# Slow readers


class SlowReader(Exception):
    """A client read nothing of its response for ``limits.STALLED_CLIENT_SECONDS``."""


class SlowReaderGuard:
    """Drops a client that stops reading a response, so its unsent bytes are freed.

    Each part of a response body must be handed to the connection within
    ``limits.STALLED_CLIENT_SECONDS``; uvicorn's send waits while the client's buffers
    are full, so a wait that long means the client is not reading. The connection is
    then aborted and the response ended by raising ``SlowReader``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_or_drop(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
                return
            seconds = limits.STALLED_CLIENT_SECONDS
            with anyio.move_on_after(seconds) as waiting:
                await send(message)
            if waiting.cancelled_caught:
                _abort_connection(receive)
                raise SlowReader(f"a client read nothing of its response for {seconds:g} s")

        try:
            await self.app(scope, receive, send_or_drop)
        except BaseException as error:
            if _slow_reader_in(error) is not None:
                # The frames the exception went through hold the response's body (tens of
                # MB); its traceback would keep them until the garbage collector runs.
                _clear_frames(error)
            raise


def _abort_connection(receive: Receive) -> None:
    """Close the connection now, dropping what it still has to send.

    ASGI has no way to say this. What uvicorn does when a response fails,
    ``transport.close()``, first waits for the buffered bytes to be read: forever, for
    a client that reads nothing (the connection and its buffers stay, and so does a
    shutdown waiting for it). uvicorn's ``receive`` is a method of its request cycle,
    which holds the connection's transport: abort that, where it is there.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return
    connection = transport.get_extra_info("socket")
    if connection is not None:
        # Linger 0: the kernel drops its unsent bytes too, and the client is told (RST).
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _slow_reader_in(error: BaseException | None) -> SlowReader | None:
    """The SlowReader that ended a response, also from inside a task group's exception group."""
    if isinstance(error, SlowReader):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := _slow_reader_in(inner)) is not None:
                return found
    return None


def _clear_frames(error: BaseException) -> None:
    traceback.clear_frames(error.__traceback__)
    for inner in getattr(error, "exceptions", ()):
        _clear_frames(inner)


class _SlowReaderLog(logging.Filter):
    """uvicorn logs any exception ending a response as an error with a traceback; a slow
    reader dropped on purpose is one warning line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = _slow_reader_in(record.exc_info[1] if record.exc_info else None)
        if error is not None:
            record.msg, record.args = "Dropped a connection: %s", (error,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


logging.getLogger("uvicorn.error").addFilter(_SlowReaderLog())
