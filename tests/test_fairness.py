"""The compute workers serve clients in turn: a greedy client cannot starve a small request.

The scheduler's tests run on fresh event loops with one worker (and, but where the
express worker is the subject, without it), so the order in which jobs run is exact;
the end-to-end test counts what a real server computes while a small request waits
behind a dozen greedy streams.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import anyio
import httpx
import pytest

from app.api import compute
from app.api.descent import stream_stats


@pytest.fixture
def one_worker(monkeypatch):
    """Every limiter made from now on (one per event loop) has a single worker, no express."""
    monkeypatch.setattr(compute, "WORKERS", 1)
    monkeypatch.setattr(compute, "EXPRESS_CPU_SECONDS", 0.0)


async def as_client(key, function, *args):
    """``compute.run`` on behalf of client ``key`` (a task's context is its own)."""
    compute.current_client.set(key)
    return await compute.run(function, *args)


async def until(condition) -> None:
    """Let the loop run until ``condition()`` holds (it only needs other tasks to start)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the loop never got there")


def waiting_jobs() -> int:
    return compute.limiter().waiting_jobs()


def test_a_waiting_client_goes_before_a_greedy_clients_queue(one_worker):
    order: list[str] = []
    gate = threading.Event()

    def held(name: str) -> None:
        gate.wait()
        order.append(name)

    async def main() -> None:
        jobs = [asyncio.create_task(as_client("greedy", held, "greedy 0"))]
        await until(lambda: compute.limiter().busy == 1)
        jobs += [
            asyncio.create_task(as_client("greedy", order.append, f"greedy {i}"))
            for i in range(1, 8)
        ]
        await until(lambda: waiting_jobs() == 7)
        jobs.append(asyncio.create_task(as_client("small", order.append, "small")))
        await until(lambda: waiting_jobs() == 8)
        gate.set()
        await asyncio.gather(*jobs)

    asyncio.run(main())
    # The greedy client has had the worker; the small one has not: it goes next.
    assert order == ["greedy 0", "small", *(f"greedy {i}" for i in range(1, 8))]


async def take_turns(jobs: list[tuple[str, float]]) -> list[str]:
    """Queue ``(client, worker seconds)`` jobs behind a busy worker; the order they ran in."""
    workers = compute.FairLimiter(1, express_cpu_seconds=0)
    order: list[str] = []

    async def job(key: str, seconds: float) -> None:
        turn = await workers.acquire(key)
        order.append(key)
        workers.release(turn, seconds)

    opener = await workers.acquire("opener")
    tasks = [asyncio.create_task(job(key, seconds)) for key, seconds in jobs]
    await until(lambda: workers.waiting_jobs() == len(jobs))
    workers.release(opener, 0.05)
    await asyncio.gather(*tasks)
    return order


def test_clients_with_equal_needs_take_turns():
    jobs = [("a", 0.05)] * 4 + [("b", 0.05)] * 4 + [("c", 0.05)] * 4
    order = asyncio.run(take_turns(jobs))
    assert order == ["a", "b", "c"] * 4


def test_a_client_whose_turns_are_long_gets_fewer_of_them():
    """Turns are shared by worker time: one long job buys the other client many short ones."""
    jobs = [("slow", 0.2)] * 3 + [("quick", 0.015)] * 30
    order = asyncio.run(take_turns(jobs))
    # 0.2 s of slow, then quick until it has had as much (14 × 0.015 s), then slow again.
    assert order[:16] == ["slow"] + ["quick"] * 14 + ["slow"]


def test_a_client_that_starts_waiting_gets_no_credit_for_having_been_idle():
    async def main() -> list[str]:
        workers = compute.FairLimiter(1, express_cpu_seconds=0)
        # "busy" has had 1 s of worker time while "late" was not there...
        for _ in range(10):
            workers.release(await workers.acquire("busy"), 0.1)
        opener = await workers.acquire("opener")
        order: list[str] = []

        async def job(key: str) -> None:
            turn = await workers.acquire(key)
            order.append(key)
            workers.release(turn, 0.1)

        tasks = [asyncio.create_task(job(key)) for key in ["busy"] * 3 + ["late"] * 3]
        await until(lambda: workers.waiting_jobs() == 6)
        workers.release(opener, 0.1)
        await asyncio.gather(*tasks)
        return order

    # ...with nobody else waiting, so it owes nobody: once both wait they take turns
    # ("late" joins at the worker time of the last job started, not at none).
    assert asyncio.run(main()) == ["late", "busy"] * 3


def test_a_cancelled_wait_gives_no_worker_away_and_runs_nothing(one_worker):
    ran: list[str] = []
    gate = threading.Event()

    def held() -> None:
        gate.wait()
        ran.append("held")

    async def main() -> None:
        holder = asyncio.create_task(as_client("a", held))
        await until(lambda: compute.limiter().busy == 1)
        cancelled = asyncio.create_task(as_client("b", ran.append, "cancelled"))
        await until(lambda: waiting_jobs() == 1)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert waiting_jobs() == 0
        gate.set()
        await holder
        await as_client("c", ran.append, "after")
        assert compute.limiter().busy == 0

    asyncio.run(main())
    assert ran == ["held", "after"]


def test_a_worker_handed_to_a_wait_being_cancelled_is_passed_on():
    async def main() -> None:
        workers = compute.FairLimiter(1, express_cpu_seconds=0)
        first = await workers.acquire("a")
        handed = asyncio.create_task(workers.acquire("b"))
        behind = asyncio.create_task(workers.acquire("c"))
        await until(lambda: workers.waiting_jobs() == 2)
        workers.release(first, 0.01)  # the worker goes to "b", whose task has not resumed...
        handed.cancel()  # ...and is cancelled before it does
        with pytest.raises(asyncio.CancelledError):
            await handed
        third = await behind  # so the worker is passed on, not lost
        assert workers.busy == 1
        workers.release(third, 0.01)
        assert workers.busy == 0

    asyncio.run(main())


async def client_whose_last_job_took(workers, key: str, cpu_seconds: float) -> None:
    workers.release(await workers.acquire(key), cpu_seconds)


def test_the_express_worker_takes_a_short_job_at_once_while_the_workers_are_busy():
    async def main() -> None:
        workers = compute.FairLimiter(1, express_cpu_seconds=0.005)
        await client_whose_last_job_took(workers, "stream", 0.05)
        await client_whose_last_job_took(workers, "small", 0.001)
        chunk = await workers.acquire("stream")  # the only worker is busy
        next_chunk = asyncio.create_task(workers.acquire("stream"))
        newcomer = asyncio.create_task(workers.acquire("newcomer"))
        await until(lambda: workers.waiting_jobs() == 2)
        # Long last job, or none yet: they wait for the worker, the express one stays free.
        assert not workers.express_busy
        small = await workers.acquire("small")  # at once
        assert small.express and workers.express_busy
        workers.release(small, 0.001)
        workers.release(chunk, 0.05)
        assert not (await newcomer).express  # fresh clients go first: it had used none
        assert not next_chunk.done()

    asyncio.run(main())


def test_the_express_worker_goes_to_the_next_waiting_client_with_a_short_last_job():
    async def main() -> None:
        workers = compute.FairLimiter(1, express_cpu_seconds=0.005)
        for key in ("a", "b"):
            await client_whose_last_job_took(workers, key, 0.001)
        await client_whose_last_job_took(workers, "long", 0.05)
        regular = await workers.acquire("long")
        first = await workers.acquire("a")
        assert first.express
        second = asyncio.create_task(workers.acquire("b"))
        await until(lambda: workers.waiting_jobs() == 1)
        workers.release(first, 0.01)  # "a"'s job was long after all: it is not quick now
        assert (await second).express
        assert workers.waiting_jobs() == 0 and workers.busy == 1
        workers.release(regular, 0.05)
        workers.release(await second, 0.001)
        assert workers.busy == 0 and not workers.express_busy

    asyncio.run(main())


def test_a_job_is_charged_its_cpu_not_its_wall_time():
    """A job that sleeps (or waits for the GIL) used little CPU: it stays quick."""

    async def main() -> None:
        await compute.run(time.sleep, 0.05)
        assert compute.limiter()._clients[compute.ANONYMOUS].quick

        def spin() -> None:
            deadline = time.thread_time() + 0.02
            while time.thread_time() < deadline:
                pass

        await compute.run(spin)
        assert not compute.limiter()._clients[compute.ANONYMOUS].quick

    asyncio.run(main())


def test_an_anyio_cancel_scope_around_a_waiting_job_releases_it(one_worker):
    async def main() -> None:
        gate = threading.Event()
        holder = asyncio.create_task(as_client("a", gate.wait))
        await until(lambda: compute.limiter().busy == 1)
        with anyio.move_on_after(0.05) as scope:
            await as_client("b", print, "never printed")
        assert scope.cancelled_caught and waiting_jobs() == 0
        gate.set()
        await holder
        assert compute.limiter().busy == 0

    asyncio.run(main())


def test_each_event_loop_has_its_own_workers(one_worker):
    gate = threading.Event()
    holding = threading.Event()

    def hold() -> None:
        holding.set()
        gate.wait()

    other_loop = threading.Thread(target=asyncio.run, args=(compute.run(hold),))
    other_loop.start()
    try:
        assert holding.wait(30)  # the other loop's only worker is busy

        async def in_this_loop() -> str:
            return await asyncio.wait_for(compute.run(str, "free"), 30)

        assert asyncio.run(in_this_loop()) == "free"
    finally:
        gate.set()
        other_loop.join(30)


def test_the_middleware_names_the_connection_for_http_and_websocket():
    seen = []

    async def inner(scope, receive, send) -> None:
        seen.append((scope["type"], compute.current_client.get()))

    middleware = compute.ClientMiddleware(inner)

    async def main() -> None:
        await middleware({"type": "http", "client": ["10.0.0.7", 51234]}, None, None)
        await middleware({"type": "websocket", "client": ("10.0.0.8", 40000)}, None, None)
        await middleware({"type": "http", "client": None}, None, None)
        await middleware({"type": "lifespan"}, None, None)
        assert compute.current_client.get() == compute.ANONYMOUS

    asyncio.run(main())
    assert seen == [
        ("http", ("10.0.0.7", 51234)),
        ("websocket", ("10.0.0.8", 40000)),
        ("http", compute.ANONYMOUS),
        ("lifespan", compute.ANONYMOUS),
    ]


GREEDY_STREAMS = 12


def test_a_small_descent_is_served_while_greedy_streams_keep_the_workers_busy(
    live_server, monkeypatch
):
    """A dozen endless streams, each on its own connection; a small descent from another
    that has asked before (as a page does while a slider moves).

    It completes while every greedy stream still runs, and it jumps their queue: at
    each of its own turns it waits for less than half a round of theirs (first come,
    first served, it would wait a whole round, a chunk of every stream, each time).
    """
    turns: Counter = Counter()  # compute turns by client (connection)
    run = compute.run

    async def counted_run(function, *args):
        turns[compute.current_client.get()] += 1
        return await run(function, *args)

    monkeypatch.setattr(compute, "run", counted_run)
    greedy = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "sgd", "lr": 1e-4, "start": [-1.2, 1.0]}],
        "max_steps": 100_000,
        "tolerance": 0,
    }
    small = {**greedy, "max_steps": 100}
    received = [0] * GREEDY_STREAMS

    async def stream(http: httpx.AsyncClient, index: int) -> None:
        async with http.stream("POST", "/api/descent/stream", json=greedy) as response:
            assert response.status_code == 200
            async for data in response.aiter_raw():
                received[index] += len(data)

    async def main() -> tuple[Counter, Counter, int, httpx.Response]:
        limits = httpx.Limits(max_connections=GREEDY_STREAMS)
        async with httpx.AsyncClient(base_url=live_server, timeout=60, limits=limits) as http:
            async with anyio.create_task_group() as streams:
                for index in range(GREEDY_STREAMS):
                    streams.start_soon(stream, http, index)
                while min(received) < 10_000:  # every stream is past its first chunks
                    await anyio.sleep(0.01)
                before, finished = Counter(turns), stream_stats.finished
                async with httpx.AsyncClient(base_url=live_server, timeout=60) as other:
                    # A learner's page that has asked before (a ghost path while a slider
                    # moves): a short last job, so the express worker may take the next.
                    (await other.post("/api/descent", json=small)).raise_for_status()
                    asked = Counter(turns)
                    response = await other.post("/api/descent", json=small)
                during = turns - asked
                ended = stream_stats.finished - finished
                streams.cancel_scope.cancel()
        return before, during, ended, response

    before, during, ended, response = asyncio.run(main())
    assert response.status_code == 200
    assert response.json()["runs"][0]["steps"] == 100
    assert ended == 0  # every greedy stream was still running
    greedy_clients = [key for key in before if key != compute.ANONYMOUS]
    assert len(greedy_clients) == GREEDY_STREAMS  # one client per connection
    small_turns = sum(count for key, count in during.items() if key not in before)
    greedy_turns = sum(during[key] for key in greedy_clients)
    assert small_turns >= 1  # one: its starts are checked and its answer encoded in it
    assert greedy_turns < small_turns * GREEDY_STREAMS / 2
