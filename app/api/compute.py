"""Heavy numpy work runs in worker threads, one per core, and the workers serve the
clients in turn.

The event loop only validates, routes and sends bytes; descents, basin maps and
training run here. Capping the workers at the number of cores keeps the GIL
free often enough for /api/health and new requests to answer at once, however
many streams are open: streams take turns chunk by chunk.

Turns are fair between clients, not between jobs. A client is a connection (the
ASGI scope's ``client``, host and port, for HTTP and WebSocket alike), named for
the request's tasks by ``ClientMiddleware``; work outside any request counts as
one anonymous client. A free worker goes to the waiting client that has used the
least CPU (in turn among equals), so a learner's small request is served next
even while others keep long streams or live sessions busy, and a client whose
turns are long gets fewer of them.

A turn is not interrupted, though, and a small request takes several short ones
(resolve, check, build, a step or two, encode): behind workers busy with ~50 ms
chunks it would wait for one at each. So one more worker, the express worker,
takes only the jobs of clients whose last job was short (under
``EXPRESS_CPU_SECONDS``): a long job can slip in at most once per short one
before it, and then it is the same wait as without the express worker.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import NamedTuple, TypeVar

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")

WORKERS = max(1, os.cpu_count() or 1)
ANONYMOUS = "anonymous"  # work outside any request: tests, start-up
EXPRESS_CPU_SECONDS = 0.005  # a client whose last job took less may use the express worker
MIN_TURN_SECONDS = 1e-4  # what a turn costs at least, so clients with tiny jobs still alternate
FORGET_SECONDS = 5.0  # a client idle this long starts afresh (and its record is dropped)

current_client: ContextVar[Hashable] = ContextVar("compute_client", default=ANONYMOUS)

# The workers hold the GIL through numpy's small-array loops, and the event loop needs
# it back after every socket operation. Python makes a thread wait up to 5 ms for it by
# default; 1 ms halved the median latency of /api/health and of small descents while
# live sessions and streams kept every worker busy, for a negligible cost in throughput.
sys.setswitchinterval(0.001)


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
    """One client's jobs, the CPU it has used (on the turns' common scale), its last job."""

    __slots__ = ("key", "served", "waiting", "running", "idle_since", "quick")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.served = 0.0
        self.waiting: deque[asyncio.Future[bool]] = deque()  # result: granted the express worker
        self.running = 0
        self.idle_since = time.monotonic()
        self.quick = False  # its last job was short (unknown at first: the safe guess)

    @property
    def active(self) -> bool:
        return bool(self.waiting) or self.running > 0


class Turn(NamedTuple):
    """A worker granted to a client: one of the ``workers``, or the express worker."""

    client: _Client
    express: bool


class FairLimiter:
    """``workers`` workers and an express one; a free worker goes to the next client, not job.

    Start-time fair queuing: the waiting client that has used the least CPU goes first,
    the longest waiting among equals. ``clock`` is the CPU use of the client whose job
    started last; a client that becomes active starts no lower, so idleness earns no
    credit and a new connection no priority over those that are owed turns.

    ``turn = await acquire(key)`` waits for a worker; ``release(turn, cpu_seconds)``
    gives it back, charging the client. Event-loop only (not thread-safe), like the
    loop's own primitives.
    """

    def __init__(self, workers: int, express_cpu_seconds: float | None = None) -> None:
        self.workers = workers
        self.express_cpu_seconds = (
            EXPRESS_CPU_SECONDS if express_cpu_seconds is None else express_cpu_seconds
        )
        self.busy = 0  # of the regular workers
        self.express_busy = False
        self.clock = 0.0
        # Threads for the jobs, apart from the pool that sync endpoints and files use.
        self.threads = anyio.CapacityLimiter(workers + 1)
        self._clients: dict[Hashable, _Client] = {}  # active ones, and idle ones remembered
        self._waiting: dict[Hashable, _Client] = {}  # with a job waiting, in turn order
        self._swept = time.monotonic()

    async def acquire(self, key: Hashable) -> Turn:
        client = self._enter(key)
        if self.busy < self.workers and not self._waiting:
            return self._start(client, express=False)
        if client.quick and not self.express_busy:  # nobody waiting could take it
            return self._start(client, express=True)
        granted = asyncio.get_running_loop().create_future()
        client.waiting.append(granted)
        self._waiting.setdefault(key, client)
        try:
            express = await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                # A worker was handed over just as the wait was cancelled: pass it on.
                self._free(Turn(client, granted.result()))
            else:
                self._forget(client, granted)
            raise
        return Turn(client, express)

    def release(self, turn: Turn, cpu_seconds: float) -> None:
        """Give a worker back, charging its client the CPU its job used."""
        client = turn.client
        client.served += max(cpu_seconds, MIN_TURN_SECONDS)
        client.quick = cpu_seconds < self.express_cpu_seconds
        self._free(turn)

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

    def _start(self, client: _Client, express: bool) -> Turn:
        if express:
            self.express_busy = True
        else:
            self.busy += 1
        client.running += 1
        self.clock = max(self.clock, client.served)
        return Turn(client, express)

    def _free(self, turn: Turn) -> None:
        if turn.express:
            self.express_busy = False
        else:
            self.busy -= 1
        turn.client.running -= 1
        self._hand_on()
        self._note_if_idle(turn.client)

    def _hand_on(self) -> None:
        """Give free workers to the waiting clients that have used the least CPU."""
        while self._waiting:
            if self.busy < self.workers:
                candidates = list(self._waiting.values())
                express = False
            elif not self.express_busy:
                candidates = [client for client in self._waiting.values() if client.quick]
                express = True
            else:
                return
            if not candidates:
                return
            client = min(candidates, key=lambda c: c.served)
            granted = client.waiting.popleft()
            del self._waiting[client.key]
            if client.waiting:
                self._waiting[client.key] = client  # to the back of the turn order
            if granted.cancelled():  # its task has not run its clean-up yet
                self._note_if_idle(client)
                continue
            self._start(client, express)
            granted.set_result(express)

    def _forget(self, client: _Client, granted: asyncio.Future) -> None:
        if granted in client.waiting:
            client.waiting.remove(granted)
            if not client.waiting:
                self._waiting.pop(client.key, None)
        self._note_if_idle(client)

    def _note_if_idle(self, client: _Client) -> None:
        if not client.active:
            client.idle_since = time.monotonic()

    def _sweep(self, now: float) -> None:
        """Drop the records of clients idle for long (they would start afresh anyway)."""
        self._swept = now
        for key, client in list(self._clients.items()):
            if not client.active and now - client.idle_since > FORGET_SECONDS:
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
    turn = await workers.acquire(current_client.get())
    cpu_seconds = 0.0

    def timed() -> T:
        nonlocal cpu_seconds
        started = time.thread_time()  # CPU, not waits for the GIL other threads hold
        try:
            return function(*args)
        finally:
            cpu_seconds = time.thread_time() - started

    try:
        return await anyio.to_thread.run_sync(timed, limiter=workers.threads)
    finally:
        workers.release(turn, cpu_seconds)


_DONE = object()


async def iterate(iterator):
    """Step a (CPU-heavy) iterator in worker threads, one item per turn."""
    while True:
        item = await run(next, iterator, _DONE)
        if item is _DONE:
            return
        yield item
