"""Users' formulas are compiled in worker processes, each with a wall-time budget.

SymPy can take minutes on a 169-character formula, and a thread cannot be
stopped, so the SymPy half of compiling (``formula.compile_source``: parse,
differentiate, generate code) runs in a small pool of long-lived worker
processes, one formula at a time each. A job waits at most
``limits.FORMULA_COMPILE_SECONDS`` from the moment it was asked (queueing
included); past it, its worker is killed, a fresh one takes its place, and the
answer is ``FormulaTooComplex``. What comes back is data (LaTeX and the source
lambdify generated); this process turns it into numpy functions.

Workers are forked from multiprocessing's fork server, which imports SymPy
once: never a fork of the threaded server, and a replacement is ready in
milliseconds instead of an import's second. Answers are cached, failures too
(bounded), so a repeated hostile formula is answered at once, and one formula
asked by several requests at once is compiled once.

The waiting happens in this module's own threads (one per worker), never on the
event loop and never in the thread pool that serves plain ``def`` endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import NamedTuple

from app import limits
from app.surfaces import formula as formula_module
from app.surfaces.formula import CompiledSource, Formula, FormulaError, FormulaTooComplex

logger = logging.getLogger(__name__)

# One process per formula compiled at once: three hostile formulas arriving together
# each get a worker at once and are each answered at the budget.
PROCESSES = 3
SUCCESSES_CACHED = 256
FAILURES_CACHED = 1024
WORKER_MEMORY_BYTES = 512 * 1024 * 1024  # address space a worker may add to its start
START_TIMEOUT_SECONDS = 60.0  # the fork server's first start (an import of SymPy)

# Numpy's OpenBLAS threads are not wanted in the fork server and its children
# (python -m app sets this before numpy is imported; tests and other launchers may not).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["app.surfaces.compiler"])


class _Failure(NamedTuple):
    """A refused formula, as data (it crosses the process boundary and is cached)."""

    error_type: str
    message: str
    position: int | None

    @classmethod
    def of(cls, error: FormulaError) -> _Failure:
        return cls(error.error_type, error.message, error.position)

    def exception(self) -> FormulaError:
        """A fresh exception each time (a cached one would grow its traceback on each raise)."""
        if self.error_type == FormulaTooComplex.error_type:
            return FormulaTooComplex(self.message)
        error = FormulaError(self.message)
        error.position = self.position
        return error


def _compile_in_worker(text: str) -> CompiledSource | _Failure:
    try:
        source = formula_module.compile_source(text)
        # Load the generated code here first: a defect in it fails in the worker.
        formula_module.build_formula(text, source)
        return source
    except FormulaError as error:
        return _Failure.of(error)
    except BaseException as error:  # noqa: BLE001 - a worker answers whatever happens
        message = f"this formula could not be compiled ({error!r:.80})"
        return _Failure(FormulaTooComplex.error_type, message, None)


def _bound_memory() -> None:
    """A SymPy tree that grows past WORKER_MEMORY_BYTES is a MemoryError, not a server
    out of memory."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = in_use + WORKER_MEMORY_BYTES
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):  # not Linux: the time budget still holds
        pass


def _serve(connection) -> None:
    """A worker process: answer each formula text it receives, until the pipe closes."""
    _bound_memory()
    connection.send("ready")
    while True:
        try:
            text = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_compile_in_worker(text))


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_serve, args=(child,), name="gradient-hiker-formula", daemon=True
        )
        self.process.start()
        child.close()
        self.connection = parent
        self.killed = False
        try:
            started = parent.poll(START_TIMEOUT_SECONDS) and parent.recv() == "ready"
        except (EOFError, OSError):
            started = False
        if not started:
            self.kill()
            raise RuntimeError("a formula compiler process did not start")
        self.ready_at = time.monotonic()

    def compile(self, text: str, timeout: float) -> CompiledSource | _Failure | None:
        """The worker's answer, or None if it did not answer within ``timeout`` seconds."""
        try:
            self.connection.send(text)
            if self.connection.poll(timeout):
                return self.connection.recv()
        except (EOFError, OSError):  # the process died (out of memory?)
            return _Failure(
                FormulaTooComplex.error_type, "compiling this formula crashed its worker", None
            )
        return None

    def kill(self) -> None:
        """Stop the process and close the pipe; safe to call twice (stop() and the pool
        thread's own clean-up may both do it)."""
        if self.killed:
            return
        self.killed = True
        try:
            self.process.kill()
            self.process.join(timeout=5)
            self.connection.close()
        except (OSError, ValueError):  # already gone
            pass


@dataclass
class _Job:
    text: str
    asked: float
    future: Future = field(default_factory=Future)


@dataclass
class CompilerStats:
    """What the compiler has done since the server started (for tests and benches)."""

    compiled: int = 0  # formulas a worker compiled
    refused: int = 0  # formulas a worker refused (grammar, size, SymPy)
    timed_out: int = 0  # formulas killed at the budget
    busy: int = 0  # jobs that could not start within their budget
    cache_hits: int = 0  # answered from the cache of compiled formulas
    failure_cache_hits: int = 0  # answered from the cache of refused formulas
    shared: int = 0  # asked while the same formula was compiling: answered together
    workers_started: int = 0


class _Cache:
    """A small least-recently-used map (the compiler's lock guards it)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._size = size

    def get(self, key):
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class FormulaCompiler:
    """A pool of formula-compiling processes with a wall-time budget per formula."""

    def __init__(
        self, processes: int = PROCESSES, budget: float = limits.FORMULA_COMPILE_SECONDS
    ) -> None:
        self.processes = processes
        self.budget = budget
        self.stats = CompilerStats()
        self._lock = threading.Lock()
        self._successes = _Cache(SUCCESSES_CACHED)
        self._failures = _Cache(FAILURES_CACHED)
        self._pending: dict[str, Future] = {}
        self._jobs: queue.SimpleQueue | None = None
        self._threads: list[threading.Thread] = []
        self._workers: set[_Worker] = set()

    # --- the pool ----------------------------------------------------------------

    def start(self) -> None:
        """Start the pool in the background (idempotent; the first start takes a second)."""
        with self._lock:
            if self._jobs is not None:
                return
            self._jobs = queue.SimpleQueue()
            self._threads = [
                threading.Thread(
                    target=self._serve_jobs,
                    args=(self._jobs,),
                    name=f"formula-compiler-{index}",
                    daemon=True,
                )
                for index in range(self.processes)
            ]
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        """Kill every worker process and end the pool's threads (a later job restarts it)."""
        with self._lock:
            jobs, threads, workers = self._jobs, self._threads, list(self._workers)
            self._jobs, self._threads = None, []
        if jobs is None:
            return
        for _ in threads:
            jobs.put(None)
        for worker in workers:
            worker.kill()
        for thread in threads:
            thread.join(timeout=10)
        while not jobs.empty():  # asked while stopping
            job = jobs.get()
            if job is not None:
                failure = _Failure(FormulaTooComplex.error_type, "the server is stopping", None)
                self._finish(job, failure, cache=False)

    def in_flight(self) -> int:
        """How many formulas are being compiled or waiting for a worker now."""
        with self._lock:
            return len(self._pending)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.is_alive()]

    def _serve_jobs(self, jobs: queue.SimpleQueue) -> None:
        """One pool thread: keeps one worker process ready and feeds it jobs in turn."""
        worker = self._try_start_worker()
        # When this thread could first take a job: the budget does not count the pool's
        # own start-up (a server that just started does not refuse its first formulas).
        serving_since = worker.ready_at if worker else None
        try:
            while (job := jobs.get()) is not None:
                if worker is None:
                    worker = self._try_start_worker()
                if worker is None:
                    failure = _Failure(
                        FormulaTooComplex.error_type, "the formula compiler could not start", None
                    )
                    self._finish(job, failure, cache=False)
                    continue
                serving_since = serving_since or worker.ready_at
                try:
                    keep = self._run(job, worker, max(job.asked, serving_since))
                except Exception:  # noqa: BLE001 - every job is answered, whatever happens
                    logger.exception("the formula compiler failed on a job")
                    if not job.future.done():
                        failure = _Failure(
                            FormulaTooComplex.error_type, "the formula compiler failed", None
                        )
                        self._finish(job, failure, cache=False)
                    keep = False
                if not keep:
                    self._retire(worker)
                    worker = self._try_start_worker()  # ready before the next job
        finally:
            if worker is not None:
                self._retire(worker)

    def _try_start_worker(self) -> _Worker | None:
        try:
            worker = _Worker()
        except Exception:  # noqa: BLE001 - retried at the next job
            logger.exception("a formula compiler process did not start")
            return None
        with self._lock:
            self._workers.add(worker)
            self.stats.workers_started += 1
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.kill()

    def _run(self, job: _Job, worker: _Worker, started: float) -> bool:
        """Compile one job in ``worker``, its budget counted from ``started`` (the request,
        queueing included); False if the worker had to be killed."""
        waited = time.monotonic() - started
        if waited >= self.budget:
            message = (
                "the server is busy compiling other formulas and could not start this one "
                f"within the {self.budget:g} s budget; try again in a moment"
            )
            failure = _Failure(FormulaTooComplex.error_type, message, None)
            self._finish(job, failure, cache=False, outcome="busy")
            return True
        answer = worker.compile(job.text, self.budget - waited)
        if worker.killed:  # the pool was stopped meanwhile
            failure = _Failure(FormulaTooComplex.error_type, "the server is stopping", None)
            self._finish(job, failure, cache=False)
            return False
        if answer is None:
            message = (
                f"compiling this formula takes more than the {self.budget:g} s budget; "
                "write a simpler formula"
            )
            # Remembered only if the formula had (nearly) the whole budget to itself.
            cache = waited < 0.1 * self.budget
            failure = _Failure(FormulaTooComplex.error_type, message, None)
            self._finish(job, failure, cache=cache, outcome="timed_out")
            return False
        if isinstance(answer, _Failure):
            self._finish(job, answer, cache=True, outcome="refused")
            return worker.process.is_alive()
        try:
            compiled = formula_module.build_formula(job.text, answer)
        except Exception as error:  # noqa: BLE001 - unexpected: the worker ran this code
            failure = _Failure(
                FormulaError.error_type, f"this formula could not be loaded ({error!r:.80})", None
            )
            self._finish(job, failure, cache=True)
            return True
        self._finish(job, compiled, cache=True, outcome="compiled")
        return True

    def _finish(
        self, job: _Job, answer: Formula | _Failure, cache: bool, outcome: str | None = None
    ) -> None:
        """Answer a job (and every request waiting on the same text); count ``outcome``."""
        with self._lock:
            if outcome:
                setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
            if cache:
                (self._failures if isinstance(answer, _Failure) else self._successes).put(
                    job.text, answer
                )
            self._pending.pop(job.text, None)
        if isinstance(answer, _Failure):
            job.future.set_exception(answer.exception())
        else:
            job.future.set_result(answer)

    # --- asking ------------------------------------------------------------------

    def submit(self, text: str) -> Future:
        """A future of the compiled Formula (or of its FormulaError); never blocks."""
        self.start()
        with self._lock:
            compiled = self._successes.get(text)
            if compiled is not None:
                self.stats.cache_hits += 1
                return _done(result=compiled)
            failure = self._failures.get(text)
            if failure is not None:
                self.stats.failure_cache_hits += 1
                return _done(error=failure.exception())
            pending = self._pending.get(text)
            if pending is not None:
                self.stats.shared += 1
                return pending
            job = _Job(text, time.monotonic())
            # Running from the start: a waiter that gives up cannot cancel it for the others.
            job.future.set_running_or_notify_cancel()
            self._pending[text] = job.future
            self._jobs.put(job)
        return job.future

    async def compile(self, text: str) -> Formula:
        """The compiled Formula, awaited without blocking the event loop; FormulaError if
        refused (over the budget: FormulaTooComplex)."""
        return await asyncio.wrap_future(self.submit(text))


def _done(result=None, error: BaseException | None = None) -> Future:
    future: Future = Future()
    future.set_running_or_notify_cancel()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
    return future


compiler = FormulaCompiler()
