"""Heavy numpy work runs in worker threads, at most one per core at a time.

The event loop only validates, routes and sends bytes; descents, basin maps and
training run here. Capping the workers at the number of cores keeps the GIL
free often enough for /api/health and new requests to answer at once, however
many streams are open: streams take turns chunk by chunk.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

WORKERS = max(1, os.cpu_count() or 1)
_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _limiter() -> anyio.CapacityLimiter:
    # One limiter per event loop (tests run several loops in one process).
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(WORKERS)
    return limiter


async def run(function: Callable[..., T], *args) -> T:
    """``function(*args)`` in a worker thread, waiting for a free core first."""
    return await anyio.to_thread.run_sync(function, *args, limiter=_limiter())


_DONE = object()


async def iterate(iterator):
    """Step a (CPU-heavy) iterator in worker threads, one item per turn."""
    while True:
        item = await run(next, iterator, _DONE)
        if item is _DONE:
            return
        yield item
