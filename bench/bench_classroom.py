"""A class on one server: simulated learners, while probes time what a newcomer would see.

    python bench/bench_classroom.py [--learners 60] [--seconds 60]

The server runs in its own process (``python -m app``, see bench/server.py). Each
learner is a browser with its own connections that, with pauses to think, loads
the pages (HTML, scripts, styles, plotly.js, the page's first API calls; later
loads revalidate like a browser cache), switches surfaces (GET /api/surfaces,
POST /api/mesh, sometimes a formula of its own), races 3–8 hikers of a few
thousand steps (POST /api/descent/stream, read to the end), maps basins
(POST /api/basins), trains a network live on WS /ws/train (start, epochs, pause,
set lr, resume, stop, with the page's Origin) and, now and then, types a hostile
formula from issue 8's list (the expected 422 is a correct answer).

Meanwhile, from a process of their own (so the learners' load on this client does
not add to what they measure), probes ask GET /api/health every ~100 ms and a
small descent (1 run × 100 steps) every ~0.5 s. A sampler reads the RSS of the
server and its children (the formula compilers) from /proc every ~0.2 s.

Goals on a 2-core machine, 60 learners for 60 s: 0 errors and 0 500s, health p95
< 100 ms and max < 500 ms, small descent p95 < 300 ms, peak RSS < 1.5 GB. The
exit status is 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import posixpath
import random
import re
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import websockets
from server import running_server  # bench/server.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "/": ["/api/surfaces", "/api/optimizers"],
    "/network": ["/api/datasets", "/api/optimizers"],
}
SMALL_DESCENT = {
    "surface": "rosenbrock",
    "runs": [{"optimizer": "adam", "lr": 0.01, "start": [-1.2, 1.0]}],
    "max_steps": 100,
}
OPTIMIZERS = [
    {"optimizer": "sgd", "lr": 0.01},
    {"optimizer": "sgd", "lr": 0.005, "momentum": 0.9},
    {"optimizer": "adam", "lr": 0.05},
    {"optimizer": "rmsprop", "lr": 0.01},
    {"optimizer": "adagrad", "lr": 0.3},
    {"optimizer": "adamw", "lr": 0.05},
]
# One TLS context for every client: httpx builds a new one (~60 ms) per client otherwise,
# and the server speaks plain HTTP anyway.
TLS = ssl.create_default_context()
STATUS_LINE = re.compile(rb'"type"\s*:\s*"(\w+)"')
THINK_SECONDS = (1.0, 4.0)


def hostile_formula(rng: random.Random) -> tuple[str, tuple[int, ...]]:
    """A formula from issue 8's attack list, and the answers that are correct for it.

    The expensive ones sometimes vary in size, as a prankster defeating a cache would;
    they may compile within the budget (200) or be refused (422), never a 500.
    """

    def size(usual: int, low: int) -> int:
        return rng.randint(low, usual) if rng.random() < 1 / 3 else usual

    def nested(function: str, depth: int, inner: str) -> str:
        return f"{function}(" * depth + inner + ")" * depth

    cases = [
        (lambda: "^".join(["x"] * size(85, 75)), (200, 422)),
        (lambda: nested("exp", size(99, 90), "x"), (200, 422)),
        (lambda: nested("tan", size(99, 90), "x"), (200, 422)),
        (lambda: nested("log10", size(70, 60), "y"), (200, 422)),
        (lambda: "*".join(f"(x+{i})" for i in range(1, size(68, 58) + 1)), (200, 422)),
        (lambda: "x + pi**1000", (422,)),
        (lambda: "y + e**1000", (422,)),
        (lambda: "acos(2) + x", (422,)),
        (lambda: "(-8)^(1/3) + x*y", (422,)),
        (lambda: "x**2 + y**2 + 2**-1000", (200,)),  # tiny is fine
    ]
    formula, expected = rng.choice(cases)
    return formula(), expected


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class NoAnswer(httpx.TransportError):
    """The connection failed before any answer came (a closed idle connection, likely)."""


class Tally:
    """What the learners got: answers served by kind, and every unexpected answer."""

    def __init__(self) -> None:
        self.served: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.server_errors = 0
        self.resent = 0  # requests sent again after the server closed an idle connection
        self.examples: list[str] = []
        self.latencies: dict[str, list[float]] = {}

    def answer(self, kind: str, status: int, expected: tuple[int, ...], seconds: float) -> bool:
        if status in expected:
            self.served[kind] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            return True
        if status >= 500:
            self.server_errors += 1
        self.error(kind, f"HTTP {status}, expected {'/'.join(map(str, expected))}")
        return False

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 12:
            self.examples.append(f"{kind}: {what}")


# --- the pages, as a browser loads them ------------------------------------------


# What a page's files link to: a module's imports, the KaTeX fonts a formula really uses.
LINKS = {
    ".js": re.compile(r'(?:from|import)\s*["\'](\.{1,2}/[^"\']+)["\']'),
    ".css": re.compile(r"url\(([^)]+(?:Main-Regular|Math-Italic)\.woff2)\)"),
}


def crawl_assets(url: str) -> dict[str, list[str]]:
    """Every script, style, module and font a page loads, as its browser would find them."""
    found: dict[str, list[str]] = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        for page in PAGES:
            html = http.get(page).text
            queue = re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"#?]+)"', html)
            assets: list[str] = []
            while queue:
                path = queue.pop()
                if path in assets:
                    continue
                assets.append(path)
                links = LINKS.get(posixpath.splitext(path)[1])
                if links and path.startswith("/static/"):
                    folder = posixpath.dirname(path)
                    for link in links.findall(http.get(path).text):
                        queue.append(posixpath.normpath(posixpath.join(folder, link)))
            found[page] = assets
    return found


class Learner:
    """One person at a browser: a page, then things to try, with time to think between."""

    def __init__(self, url: str, tally: Tally, catalogue: list[dict], assets: dict, seed: int):
        self.url = url
        self.tally = tally
        self.catalogue = catalogue
        self.assets = assets
        self.rng = random.Random(seed)
        self.cache: dict[str, dict[str, str]] = {}  # validators per asset, like a browser's
        self.surface = rng_choice_name(self.rng, catalogue)

    async def run(self, deadline: float, stagger: float) -> None:
        # A browser's six connections per host; idle ones are dropped before the server's
        # keep-alive time (5 s) ends them, as browsers do, not raced against it.
        limits = httpx.Limits(max_connections=6, keepalive_expiry=4)
        client = httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits, verify=TLS)
        async with client as http:
            self.http = http
            await asyncio.sleep(self.rng.uniform(0, stagger))
            await self.attempt(self.reload)  # the page a learner opens first
            actions = [
                (self.switch_surface, 25),
                (self.race, 30),
                (self.basins, 10),
                (self.train_live, 15),
                (self.reload, 6),
                (self.prank, 3),
            ]
            while time.monotonic() < deadline:
                await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
                await self.attempt(self.rng.choices(*zip(*actions, strict=True))[0])

    async def attempt(self, action) -> None:
        """Do ``action``; a failure (refused, dropped, timed out) is an error, not the end."""
        try:
            await action()
        except (httpx.HTTPError, OSError, websockets.WebSocketException) as error:
            self.tally.error(action.__name__, f"{type(error).__name__}: {error}"[:200])

    async def fetch(self, kind: str, method: str, path: str, expected=(200,), **kwargs) -> bytes:
        """Send a request, read the whole answer, tally it; returns the answer's last bytes.

        A request that went out on a kept-alive connection just as the server closed it
        (no answer at all) is sent again on a new one, once, as browsers do.
        """
        try:
            return await self.fetch_once(kind, method, path, expected, **kwargs)
        except NoAnswer:
            self.tally.resent += 1
            return await self.fetch_once(kind, method, path, expected, **kwargs)

    async def fetch_once(self, kind: str, method: str, path: str, expected, **kwargs) -> bytes:
        started = time.perf_counter()
        tail, received, answered = b"", 0, False
        try:
            async with self.http.stream(method, path, **kwargs) as response:
                answered = True  # the status line and headers came
                async for data in response.aiter_bytes():
                    received += len(data)
                    tail = (tail + data[-256:])[-256:]
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            if not answered:
                raise NoAnswer(f"{type(error).__name__}: {error}") from error
            seconds = time.perf_counter() - started
            raise type(error)(f"{error} (after {received} bytes in {seconds:.1f} s)") from error
        self.tally.answer(kind, response.status_code, expected, time.perf_counter() - started)
        if kind == "asset" and response.status_code in (200, 304):
            validators = {
                "if-none-match": response.headers.get("etag"),
                "if-modified-since": response.headers.get("last-modified"),
            }
            self.cache[path] = {k: v for k, v in validators.items() if v}
        return tail

    async def load_page(self, page: str) -> None:
        await self.fetch("page", "GET", page)
        requests = [
            self.fetch("asset", "GET", path, (200, 304), headers=self.cache.get(path, {}))
            for path in self.assets[page]
        ]
        requests += [self.fetch("page api", "GET", path) for path in PAGES[page]]
        if page == "/":
            body = {"surface": self.surface, "resolution": 100}
            requests.append(self.fetch("mesh", "POST", "/api/mesh", json=body))
        for outcome in await asyncio.gather(*requests, return_exceptions=True):
            if isinstance(outcome, httpx.HTTPError | OSError):
                self.tally.error("page load", f"{type(outcome).__name__}: {outcome}"[:200])
            elif isinstance(outcome, BaseException):
                raise outcome

    async def reload(self) -> None:
        await self.load_page(self.rng.choice(list(PAGES)))

    async def switch_surface(self) -> None:
        await self.fetch("page api", "GET", "/api/surfaces")
        if self.rng.random() < 0.2:  # a formula of one's own, with other coefficients each time
            a, b = self.rng.randint(1, 9), self.rng.randint(1, 9)
            formula = f"sin({a}*x/3) * cos(y) + x^2/{b + 5} + y^2/{a + 5}"
            self.surface = {"formula": formula, "x_range": [-4, 4], "y_range": [-4, 4]}
            await self.fetch("formula", "POST", "/api/formula", json={"formula": formula})
        else:
            self.surface = rng_choice_name(self.rng, self.catalogue)
        await self.fetch(
            "mesh", "POST", "/api/mesh", json={"surface": self.surface, "resolution": 100}
        )

    def start_point(self) -> list[float]:
        for entry in self.catalogue:
            if entry["name"] == self.surface:
                return entry["start"]
        return [self.rng.uniform(-3, 3), self.rng.uniform(-3, 3)]

    async def race(self) -> None:
        start = self.start_point()
        runs = [
            {**self.rng.choice(OPTIMIZERS), "start": start} for _ in range(self.rng.randint(3, 8))
        ]
        body = {"surface": self.surface, "runs": runs, "max_steps": self.rng.randint(2000, 5000)}
        tail = await self.fetch("race", "POST", "/api/descent/stream", json=body)
        kinds = STATUS_LINE.findall(tail)
        if tail and (not kinds or kinds[-1] != b"done"):
            self.tally.error("race", "the stream did not end with done")

    async def basins(self) -> None:
        body = {
            "surface": self.surface,
            "optimizer": self.rng.choice(OPTIMIZERS),
            "resolution": 64,
            "max_steps": 1000,
        }
        await self.fetch("basins", "POST", "/api/basins", json=body)

    async def prank(self) -> None:
        formula, expected = hostile_formula(self.rng)
        if self.rng.random() < 0.5:
            await self.fetch(
                "hostile formula", "POST", "/api/formula", expected, json={"formula": formula}
            )
        else:
            surface = {"formula": formula, "x_range": [-3, 3], "y_range": [-3, 3]}
            body = {"surface": surface, "resolution": 50}
            await self.fetch("hostile formula", "POST", "/api/mesh", expected, json=body)

    async def train_live(self) -> None:
        """Start, watch some epochs, pause, change the learning rate, resume, stop."""
        ws_url = "ws" + self.url.removeprefix("http") + "/ws/train"
        speed = self.rng.choices([30, 100, 300, 0], [6, 2, 1, 1])[0]  # epochs a second
        start = {
            "type": "start",
            "dataset": {"name": self.rng.choice(["spiral", "circle", "xor"]), "n": 200},
            "network": {"hidden": [16, 16], "activation": "tanh"},
            "optimizer": {"optimizer": "adam", "lr": 0.03},
            "epochs": 2000,
            "boundary_resolution": 40,
            "epochs_per_second": speed,
        }
        async with websockets.connect(ws_url, origin=self.url, max_size=2**22) as ws:
            session = LiveSession(ws, self.tally)
            await session.send(start)
            if not await session.watch(self.rng.uniform(1.5, 4)):
                self.tally.served["live session"] += session.done  # it ran to its end
                return
            for message in ({"type": "pause"}, {"type": "set", "lr": self.rng.choice([0.01, 0.1])}):
                await session.send(message)
                await session.until_state()
                await asyncio.sleep(self.rng.uniform(0.3, 1.0))
            await session.send({"type": "resume"})
            await session.until_state()
            await session.watch(self.rng.uniform(1, 3))
            await session.send({"type": "stop"})
            await session.until_state()
        self.tally.served["live session"] += 1


class LiveSession:
    """The client side of one WS /ws/train session, reading message types only."""

    def __init__(self, ws, tally: Tally):
        self.ws = ws
        self.tally = tally
        self.done = False  # the run ended (epochs reached, or diverged)

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))
        self.tally.served["live message sent"] += 1

    async def receive(self, timeout: float) -> bytes:
        """The next message's type (an error is tallied); the rest of it is not parsed."""
        text = await asyncio.wait_for(self.ws.recv(decode=False), timeout)
        self.tally.served["live message received"] += 1
        found = STATUS_LINE.search(text[:200])
        kind = found.group(1) if found else b"?"
        if kind == b"error":
            self.tally.error("live", text[:200].decode(errors="replace"))
        if kind == b"done":
            self.done = True
        return kind

    async def watch(self, seconds: float) -> bool:
        """Read the epochs for ``seconds``; False when the run ended (or the server erred)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                kind = await self.receive(left)
            except TimeoutError:
                break
            if kind in (b"done", b"error"):
                return False
        return not self.done

    async def until_state(self) -> None:
        """Read up to the state the last command answers with (epochs may come first)."""
        while await self.receive(15) not in (b"state", b"error"):
            pass


def rng_choice_name(rng: random.Random, catalogue: list[dict]) -> str:
    return rng.choice(catalogue)["name"] if catalogue else "himmelblau"


# --- probes (their own process) and memory ----------------------------------------


def probe_process(url: str, pipe) -> None:
    """Probe until told to stop; send back the latencies and any unexpected answers."""
    pipe.send("ready")
    seconds = pipe.recv()
    results = asyncio.run(probe(url, seconds))
    results["cpu_seconds"] = cpu_seconds(os.getpid())
    pipe.send(results)


async def probe(url: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    results: dict = {"health": [], "small descent": [], "errors": [], "server_errors": 0}

    async def every(interval: float, kind: str, method: str, path: str, body=None) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30, verify=TLS) as http:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.request(method, path, json=body)
                except httpx.HTTPError as error:
                    results["errors"].append(f"{kind}: {type(error).__name__}: {error}"[:200])
                else:
                    results[kind].append(time.perf_counter() - started)
                    if response.status_code != 200:
                        results["errors"].append(f"{kind}: HTTP {response.status_code}")
                        results["server_errors"] += response.status_code >= 500
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    await asyncio.gather(
        every(0.1, "health", "GET", "/api/health"),
        every(0.5, "small descent", "POST", "/api/descent", SMALL_DESCENT),
    )
    return results


class MemorySampler(threading.Thread):
    """The summed RSS of the server process and all its descendants, every ~0.2 s, and the
    CPU time they have used since the first sample."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peak_bytes = 0
        self.peak_processes = 0
        self.cpu_at_start: dict[int, float] | None = None
        self.cpu_now: dict[int, float] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            tree = descendants(self.root)
            rss = sum(rss_bytes(pid) for pid in tree)
            self.peak_bytes = max(self.peak_bytes, rss)
            self.peak_processes = max(self.peak_processes, len(tree))
            self.cpu_now.update({pid: cpu_seconds(pid) for pid in tree})
            if self.cpu_at_start is None:
                self.cpu_at_start = dict(self.cpu_now)

    def cpu_used(self) -> float:
        start = self.cpu_at_start or {}
        return sum(seconds - start.get(pid, 0.0) for pid, seconds in self.cpu_now.items())


def parent_pids() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    # pid (comm) state ppid ...: comm may hold spaces, so split after it
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return parents


def descendants(root: int) -> list[int]:
    parents = parent_pids()
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def server_pid() -> int:
    """The ``python -m app`` process this benchmark started."""
    for pid, parent in parent_pids().items():
        if parent == os.getpid():
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"-m\0app\0" in cmdline.read():
                    return pid
    raise RuntimeError("the server process was not found")


# --- the run ------------------------------------------------------------------------


async def classroom(
    url: str, learners: int, seconds: float, catalogue: list[dict], assets: dict, tally: Tally
) -> list[float]:
    """Run the learners for ``seconds``; returns this client's own loop lag (seconds)."""
    deadline = time.monotonic() + seconds
    lag: list[float] = []

    async def measure_lag() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await asyncio.sleep(0.1)
            lag.append(time.perf_counter() - started - 0.1)

    stagger = min(5.0, seconds / 4)
    tasks = [
        Learner(url, tally, catalogue, assets, seed=i).run(deadline, stagger)
        for i in range(learners)
    ]
    await asyncio.gather(measure_lag(), *tasks)
    return lag


def load_average() -> str:
    return " ".join(f"{load:.1f}" for load in os.getloadavg()) + " (1, 5, 15 min)"


def tree_state() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    return f"{git('log', '-1', '--format=%h %s')[:70]} (+{changed} files changed, uncommitted)"


def report(
    args, tally: Tally, probes: dict, memory: MemorySampler, lag: list[float], client_cpu: float
) -> bool:
    print(f"served (as expected), by kind, in {args.seconds:g} s:")
    for kind, count in sorted(tally.served.items()):
        print(f"  {kind:24} {count:7}")
    probe_counts = {k: len(probes[k]) for k in ("health", "small descent")}
    for kind, count in probe_counts.items():
        print(f"  {'probe: ' + kind:24} {count:7}")
    errors = sum(tally.errors.values()) + len(probes["errors"])
    server_errors = tally.server_errors + probes["server_errors"]
    print(f"errors: {errors} (500s: {server_errors}) {dict(tally.errors) or ''}")
    if tally.resent:
        print(f"  ({tally.resent} requests resent: an idle connection closed as they went out)")
    for example in tally.examples + probes["errors"][:6]:
        print(f"  {example}")
    for kind in ("hostile formula", "race"):
        if kind in tally.latencies:
            values = tally.latencies[kind]
            p50, top = percentile(values, 50) * 1e3, max(values) * 1e3
            print(f"{kind} answers: p50 {p50:.0f} ms, max {top:.0f} ms")

    def latency(kind: str) -> tuple[float, float, float]:
        values = probes[kind] or [float("inf")]
        return percentile(values, 50) * 1e3, percentile(values, 95) * 1e3, max(values) * 1e3

    health, small = latency("health"), latency("small descent")
    for kind, (p50, p95, top) in (("/api/health", health), ("small descent", small)):
        print(f"{kind:14} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {top:6.1f} ms")
    peak_mb = memory.peak_bytes / 2**20
    print(
        f"peak RSS, server + children: {peak_mb:.0f} MB (up to {memory.peak_processes} processes)"
    )
    print(
        f"this client's own loop lag: p95 {percentile(lag, 95) * 1e3:.0f} ms, "
        f"max {max(lag) * 1e3:.0f} ms (the learners' requests went out that late at worst)"
    )
    print(
        f"CPU used: server and children {memory.cpu_used():.0f} s, this client {client_cpu:.0f} s,"
        f" probes {probes['cpu_seconds']:.1f} s (the machine has {os.cpu_count()} cores)"
    )
    goals = [
        ("0 errors and 0 500s", errors == 0 and server_errors == 0),
        ("/api/health p95 < 100 ms and max < 500 ms", health[1] < 100 and health[2] < 500),
        ("small descent p95 < 300 ms", small[1] < 300),
        ("peak RSS < 1.5 GB", peak_mb < 1.5 * 1024),
    ]
    print("goals:")
    for goal, met in goals:
        print(f"  {goal:44} {'met' if met else 'NOT MET'}")
    return all(met for _, met in goals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=60, help="simulated learners")
    parser.add_argument("--seconds", type=float, default=60, help="how long the class lasts")
    args = parser.parse_args()
    with running_server() as url:
        print(f"{args.learners} learners for {args.seconds:g} s against {url}")
        print(f"tree: {tree_state()}")
        print(f"machine load before: {load_average()} (other programs share the cores)")
        with httpx.Client(base_url=url, timeout=60) as http:
            catalogue = http.get("/api/surfaces").json()
        assets = crawl_assets(url)
        memory = MemorySampler(server_pid())
        memory.start()
        spawn = multiprocessing.get_context("spawn")
        pipe, child_end = spawn.Pipe()
        prober = spawn.Process(target=probe_process, args=(url, child_end), daemon=True)
        prober.start()
        pipe.recv()  # the probes are ready (their process has imported what it needs)
        pipe.send(args.seconds)
        tally = Tally()
        client_cpu = cpu_seconds(os.getpid())
        lag = asyncio.run(classroom(url, args.learners, args.seconds, catalogue, assets, tally))
        client_cpu = cpu_seconds(os.getpid()) - client_cpu
        probes = pipe.recv()
        prober.join()
        memory.stopped.set()
        memory.join()
        print(f"machine load after: {load_average()}")
    return 0 if report(args, tally, probes, memory, lag, client_cpu) else 1


if __name__ == "__main__":
    sys.exit(main())
