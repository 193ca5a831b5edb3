"""Heavy numpy work runs in worker threads, at most one per core at a time, and the
workers serve the clients in turn.

The event loop only validates, routes and sends bytes; descents, basin maps and
training run here. Capping the workers at the number of cores keeps the GIL
free often enough for /api/health and new requests to answer at once, however
many streams are open: streams take turns chunk by chunk.

Turns are fair between clients, not between jobs. A client is a connection (the
ASGI scope's ``client``, host and port, for HTTP and WebSocket alike), named for
the request's tasks by ``ClientMiddleware``; work outside any request counts as
one anonymous client. A free worker goes to the waiting client that has had the
least worker time (in turn among equals), so a learner's small request is served
next even while others keep long streams or live sessions busy, and a client whose
turns are long gets fewer of them.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")

WORKERS = max(1, os.cpu_count() or 1)
ANONYMOUS = "anonymous"  # work outside any request: tests, start-up
FORGET_SECONDS = 5.0  # a client idle this long starts afresh (and its record is dropped)

current_client: ContextVar[Hashable] = ContextVar("compute_client", default=ANONYMOUS)


class ClientMiddleware:
    """Names the connection every request and socket comes from, for the workers' turns."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] not in ("http", "websocket") or not client:
            await self.app(scope, receive, send)
            return
        token = current_client.set(tuple(client))
        try:
            await self.app(scope, receive, send)
        finally:
            current_client.reset(token)


class _Client:
    """One client's jobs, and the worker time it has had (on the turns' common scale)."""

    __slots__ = ("key", "served", "waiting", "running", "idle_since")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.served = 0.0
        self.waiting: deque[asyncio.Future] = deque()
        self.running = 0
        self.idle_since = 0.0

    @property
    def active(self) -> bool:
        return bool(self.waiting) or self.running > 0


class FairLimiter:
    """At most ``workers`` jobs at once; a free worker goes to the next client, not the next job.

    Start-time fair queuing: the waiting client with the least worker time goes first,
    the longest waiting among equals. ``clock`` is the worker time of the client whose
    job started last; a client that becomes active starts no lower, so idleness earns
    no credit and a new connection no priority over those that are owed turns.

    ``await acquire(key)`` waits for a worker and returns the client's record, which
    ``release(client, seconds)`` gives back with the worker time used. Event-loop only
    (not thread-safe), like the loop's own primitives.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.busy = 0
        self.clock = 0.0
        # Threads for the jobs, apart from the pool that sync endpoints and files use.
        self.threads = anyio.CapacityLimiter(workers)
        self._clients: dict[Hashable, _Client] = {}  # active ones, and idle ones remembered
        self._waiting: dict[Hashable, _Client] = {}  # with a job waiting, in turn order
        self._swept = time.monotonic()

    async def acquire(self, key: Hashable) -> _Client:
        client = self._enter(key)
        if self.busy < self.workers and not self._waiting:
            self._start(client)
            return client
        turn = asyncio.get_running_loop().create_future()
        client.waiting.append(turn)
        self._waiting.setdefault(key, client)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                # A worker was handed over just as the wait was cancelled: pass it on.
                self.release(client, 0.0)
            else:
                self._forget_turn(client, turn)
            raise
        return client

    def release(self, client: _Client, seconds: float) -> None:
        """Give a worker back, charging its client ``seconds`` of worker time."""
        client.served += seconds
        client.running -= 1
        self.busy -= 1
        self._hand_on()
        self._note_if_idle(client)

    def waiting_jobs(self) -> int:
        return sum(len(client.waiting) for client in self._waiting.values())

    def _enter(self, key: Hashable) -> _Client:
        now = time.monotonic()
        if now - self._swept > 1.0:
            self._sweep(now)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _Client(key)
        if not client.active:
            client.served = max(client.served, self.clock)
        return client

    def _start(self, client: _Client) -> None:
        self.busy += 1
        client.running += 1
        self.clock = max(self.clock, client.served)

    def _hand_on(self) -> None:
        """Give free workers to the waiting clients with the least worker time."""
        while self.busy < self.workers and self._waiting:
            client = min(self._waiting.values(), key=lambda c: c.served)
            turn = client.waiting.popleft()
            del self._waiting[client.key]
            if client.waiting:
                self._waiting[client.key] = client  # to the back of the turn order
            if turn.cancelled():  # its task has not run its clean-up yet
                self._note_if_idle(client)
                continue
            self._start(client)
            turn.set_result(None)

    def _forget_turn(self, client: _Client, turn: asyncio.Future) -> None:
        if turn in client.waiting:
            client.waiting.remove(turn)
            if not client.waiting:
                self._waiting.pop(client.key, None)
        self._note_if_idle(client)

    def _note_if_idle(self, client: _Client) -> None:
        if not client.active:
            client.idle_since = time.monotonic()

    def _sweep(self, now: float) -> None:
        """Drop the records of idle clients that are owed nothing or idle for long."""
        self._swept = now
        for key, client in list(self._clients.items()):
            if not client.active and (
                client.served <= self.clock or now - client.idle_since > FORGET_SECONDS
            ):
                del self._clients[key]


_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def limiter() -> FairLimiter:
    """This event loop's limiter (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = FairLimiter(WORKERS)
    return found


async def run(function: Callable[..., T], *args) -> T:
    """``function(*args)`` in a worker thread, once this client's turn comes."""
    workers = limiter()
    client = await workers.acquire(current_client.get())
    seconds = 0.0

    def timed() -> T:
        nonlocal seconds
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            seconds = time.perf_counter() - started

    try:
        return await anyio.to_thread.run_sync(timed, limiter=workers.threads)
    finally:
        workers.release(client, seconds)


_DONE = object()


async def iterate(iterator):
    """Step a (CPU-heavy) iterator in worker threads, one item per turn."""
    while True:
        item = await run(next, iterator, _DONE)
        if item is _DONE:
            return
        yield item
