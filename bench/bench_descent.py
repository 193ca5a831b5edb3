"""Descent engine benchmarks, as ratios against torch.optim measured in the same run.

    python bench/bench_descent.py                    # every section
    python bench/bench_descent.py --only 1 2 5       # some of them

1. 8 Adam runs × 2,000 steps on Rosenbrock through POST /api/descent (HTTP round
   trip included) vs torch.optim.Adam stepping one (8, 2) float64 tensor
   in-process (target: ≤ 0.25×, aim 0.1×).
2. POST /api/basins on Himmelblau, 100×100 starts × 300 steps vs torch doing the
   same on one (10000, 2) tensor (target for Adam: ≤ 0.5×).
3. 16 concurrent 20,000-step streams while /api/health keeps answering
   (target: p95 < 250 ms).
4. How soon the first chunk of a 100,000-step stream arrives (target: ~100 ms).
5. The ghost path: a 1-run × 1,000-step POST /api/descent round trip on a
   keep-alive connection (target: median ≤ 15 ms).
6. Cases 1, 2 and 5 in this process, as CPU time (time.thread_time): the loop
   alone, without HTTP, and without the waits a loaded machine adds.

The server runs in its own process (python -m app) on a free loopback port; torch
runs in this process on one thread, float64. Our calls and torch's alternate, so a
load that comes and goes on a shared machine weighs on both; the ratios are of each
side's best time and of the medians. torch is optional: without it the ratios are
skipped and only our times print.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

import httpx
import numpy as np
from server import ROOT, running_server

sys.path.insert(0, str(ROOT))  # section 6 imports the app

REPEATS = 5
IN_PROCESS_REPEATS = 9  # section 6 is quick: more rounds, steadier medians

try:
    import torch

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
except ImportError:  # torch is optional
    torch = None


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def both_times(ours, reference, repeats: int, clock) -> tuple[list[float], list[float]]:
    """``clock(function)`` of each function over ``repeats`` rounds, the two alternating."""
    ours_times, reference_times = [], []
    for _ in range(repeats):
        ours_times.append(clock(ours))
        if reference is not None:
            reference_times.append(clock(reference))
    return ours_times, reference_times


def ratios(ours_times: list[float], reference_times: list[float]) -> str:
    """The ratio of the best times, and of the medians (a loaded machine moves both)."""
    best = min(ours_times) / min(reference_times)
    median = statistics.median(ours_times) / statistics.median(reference_times)
    return f"ratio {best:.3f} (of the medians {median:.3f})"


def rosenbrock_torch(point):
    x, y = point[..., 0], point[..., 1]
    return ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum()


def himmelblau_torch(point):
    x, y = point[..., 0], point[..., 1]
    return ((x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2).sum()


STARTS = [
    [-1.2, 1.0],
    [-1.5, 2.0],
    [0.0, 0.0],
    [1.5, -1.0],
    [-0.5, 1.5],
    [2.0, 2.0],
    [-2.0, -1.0],
    [0.5, -0.5],
]


def bench_descent(url: str) -> None:
    steps = 2000
    body = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "adam", "lr": 0.01, "start": s} for s in STARTS],
        "max_steps": steps,
        "tolerance": 0,
    }

    def torch_batched():
        points = torch.tensor(STARTS, requires_grad=True)
        optimizer = torch.optim.Adam([points], lr=0.01)
        for _ in range(steps):
            optimizer.zero_grad()
            rosenbrock_torch(points).backward()
            optimizer.step()

    with httpx.Client(timeout=60) as http:
        http.post(f"{url}/api/descent", json=body)  # warm up
        received: list[bytes] = []

        def ours():
            response = http.post(f"{url}/api/descent", json=body)
            response.raise_for_status()
            received.append(response.content)

        ours_times, batched_times = both_times(
            ours, torch_batched if torch else None, REPEATS, timed
        )
    ours_seconds = min(ours_times)
    text = received[-1]
    parse_seconds = min(timed(lambda: json.loads(text)) for _ in range(REPEATS))
    print(
        f"1. descent, 8 Adam runs × {steps} steps, HTTP round trip (the whole response "
        f"received, {len(text) / 1e6:.1f} MB of JSON): {ours_seconds * 1e3:.1f} ms; the client's "
        f"json.loads of it takes {parse_seconds * 1e3:.1f} ms more"
    )
    if torch is None:
        print("   torch is not installed: no reference ratio")
        return
    batched = min(batched_times)
    print(f"   torch.optim.Adam, the 8 runs as one (8, 2) tensor: {batched * 1e3:.1f} ms")
    print(
        f"   ours / torch batched: {ratios(ours_times, batched_times)}  (target ≤ 0.25, aim "
        f"0.1); with the client's parse: {(ours_seconds + parse_seconds) / batched:.3f}"
    )


def bench_basins(url: str) -> None:
    resolution, steps = 100, 300
    if torch is not None:
        axis = np.linspace(-5, 5, resolution)
        grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    # The API's defaults (tolerance 1e-6: a converged hiker stops, as a user asks for
    # a basin map), and the worst case where no hiker ever stops (tolerance 0).
    cases = [
        ("sgd", {"lr": 0.01}, 1e-6, torch.optim.SGD if torch else None),
        ("adam", {"lr": 0.05}, 1e-6, torch.optim.Adam if torch else None),
        ("sgd", {"lr": 0.01}, 0, torch.optim.SGD if torch else None),
    ]
    print(f"2. basins on Himmelblau, {resolution}×{resolution} starts × {steps} steps, HTTP:")
    for name, hyper, tolerance, torch_class in cases:
        body = {
            "surface": "himmelblau",
            "optimizer": {"optimizer": name, **hyper},
            "resolution": resolution,
            "max_steps": steps,
            "tolerance": tolerance,
        }

        def torch_batched(torch_class=torch_class, hyper=hyper):
            points = torch.tensor(grid, requires_grad=True)
            optimizer = torch_class([points], **hyper)
            for _ in range(steps):
                optimizer.zero_grad()
                himmelblau_torch(points).backward()
                optimizer.step()

        with httpx.Client(timeout=60) as http:
            http.post(f"{url}/api/basins", json=body)

            def ours(body=body):
                http.post(f"{url}/api/basins", json=body).raise_for_status()

            ours_times, reference_times = both_times(
                ours, torch_batched if torch else None, REPEATS, timed
            )
        line = f"   {name} {hyper}, tolerance {tolerance:g}: {min(ours_times) * 1e3:.1f} ms"
        if torch_class is None:
            print(line + " (torch is not installed: no reference ratio)")
            continue
        target = " (target ≤ 0.5)" if name == "adam" else ""
        print(
            f"{line}; torch batched ({resolution**2}, 2), all {steps} steps: "
            f"{min(reference_times) * 1e3:.1f} ms; {ratios(ours_times, reference_times)}{target}"
        )


def bench_first_chunk(url: str) -> None:
    body = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "sgd", "lr": 1e-4, "start": [-1.2, 1.0]}],
        "max_steps": 100_000,
        "tolerance": 0,
    }
    with httpx.Client(timeout=120) as http:
        started = time.perf_counter()
        with http.stream("POST", f"{url}/api/descent/stream", json=body) as response:
            for line in response.iter_lines():
                if '"frames"' in line:
                    first = time.perf_counter() - started
                    break
        started = time.perf_counter()
        http.post(f"{url}/api/descent", json=body).raise_for_status()
        whole = time.perf_counter() - started
    print(
        f"4. a 100,000-step run: first streamed chunk after {first * 1e3:.1f} ms; the whole run "
        f"as one response {whole * 1e3:.0f} ms (first chunk / whole = {first / whole:.4f})"
    )


def bench_streams_and_health(url: str) -> None:
    streams, steps = 16, 20_000
    body = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "sgd", "lr": 1e-4, "start": [-1.2, 1.0]}],
        "max_steps": steps,
        "tolerance": 0,
    }
    lines = [0] * streams

    def consume(index: int) -> None:
        with httpx.Client(timeout=120) as http:
            with http.stream("POST", f"{url}/api/descent/stream", json=body) as response:
                for _ in response.iter_lines():
                    lines[index] += 1

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(streams)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    latencies = []
    with httpx.Client(timeout=30) as http:
        while any(t.is_alive() for t in threads):
            before = time.perf_counter()
            http.get(f"{url}/api/health").raise_for_status()
            latencies.append(time.perf_counter() - before)
            time.sleep(0.02)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    p95 = float(np.percentile(latencies, 95)) * 1e3
    median = statistics.median(latencies) * 1e3
    print(
        f"3. {streams} concurrent {steps}-step streams took {elapsed:.1f} s; /api/health answered "
        f"{len(latencies)} times, median {median:.1f} ms, p95 {p95:.1f} ms (target < 250 ms)"
    )


GHOST_CASES = [
    # (what, body): the selected hiker's whole path, redrawn while a slider is dragged.
    (
        "Adam on Rosenbrock, tolerance 0",
        {
            "surface": "rosenbrock",
            "runs": [{"optimizer": "adam", "lr": 0.01, "start": [-1.2, 1.0]}],
            "max_steps": 1000,
            "tolerance": 0,
        },
    ),
    (
        "gradient descent on Himmelblau, tolerance 0",
        {
            "surface": "himmelblau",
            "runs": [{"optimizer": "sgd", "lr": 0.01, "start": [-1.0, 4.0]}],
            "max_steps": 1000,
            "tolerance": 0,
        },
    ),
]


def bench_ghost(url: str, requests: int = 60) -> None:
    print("5. ghost path, 1 run × 1,000 steps, POST /api/descent on a keep-alive connection:")
    with httpx.Client(timeout=30) as http:
        for what, body in GHOST_CASES:
            for _ in range(5):  # warm up (and open the connection)
                http.post(f"{url}/api/descent", json=body).raise_for_status()
            latencies = []
            for _ in range(requests):
                started = time.perf_counter()
                response = http.post(f"{url}/api/descent", json=body)
                response.raise_for_status()
                response.json()
                latencies.append(time.perf_counter() - started)
            median = statistics.median(latencies) * 1e3
            quartiles = np.percentile(latencies, [25, 75]) * 1e3
            print(
                f"   {what}: median {median:.1f} ms (quartiles {quartiles[0]:.1f}–"
                f"{quartiles[1]:.1f} ms, {requests} requests; target median ≤ 15 ms)"
            )


def bench_in_process(url: str) -> None:
    """Our loop and torch's in this process, as CPU time (a shared machine's load weighs
    less on it than on wall-clock time)."""
    from app import descent, optim
    from app.surfaces import from_catalogue

    rosenbrock, himmelblau = from_catalogue("rosenbrock"), from_catalogue("himmelblau")

    def descent_of(starts, steps):
        def run():
            hyper = optim.resolve("adam", {"lr": 0.01})
            runs = descent.Descent(rosenbrock, np.array(starts), ("adam", hyper), steps, 0)
            descent.collect(runs)

        return run

    def basins():
        hyper = optim.resolve("adam", {"lr": 0.05})
        runs = descent.basin_descent(himmelblau, "adam", hyper, 100, 300, 1e-6)
        # Chunks cut as POST /api/basins cuts them (nobody sees a map before it ends).
        for _ in runs.chunks(record=False, first_chunk_steps=descent.MAX_CHUNK_STEPS):
            pass

    def torch_descent():
        points = torch.tensor(STARTS, requires_grad=True)
        optimizer = torch.optim.Adam([points], lr=0.01)
        for _ in range(2000):
            optimizer.zero_grad()
            rosenbrock_torch(points).backward()
            optimizer.step()

    def torch_basins():
        axis = np.linspace(-5, 5, 100)
        points = torch.tensor(np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2))
        points.requires_grad_(True)
        optimizer = torch.optim.Adam([points], lr=0.05)
        for _ in range(300):
            optimizer.zero_grad()
            himmelblau_torch(points).backward()
            optimizer.step()

    def cpu(function) -> float:
        started = time.thread_time()
        function()
        return time.thread_time() - started

    print(f"6. in this process, CPU time (best of {IN_PROCESS_REPEATS}), the loop alone:")
    cases = [
        ("8 Adam runs × 2,000 steps (with verdicts)", descent_of(STARTS, 2000), torch_descent),
        ("basins, Adam, 100×100 × 300 steps", basins, torch_basins),
        ("the ghost path, 1 run × 1,000 steps", descent_of(STARTS[:1], 1000), None),
    ]
    for what, ours, reference in cases:
        ours_times, reference_times = both_times(
            ours, reference if torch is not None else None, IN_PROCESS_REPEATS, cpu
        )
        line = f"   {what}: {min(ours_times) * 1e3:.1f} ms"
        if reference_times:
            line += f"; torch {min(reference_times) * 1e3:.1f} ms; "
            line += ratios(ours_times, reference_times)
        print(line)


SECTIONS = {
    "1": bench_descent,
    "2": bench_basins,
    "3": bench_streams_and_health,
    "4": bench_first_chunk,
    "5": bench_ghost,
    "6": bench_in_process,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    sections = parser.parse_args().only
    with running_server() as url:
        version = f"{torch.__version__}, one thread" if torch else "not installed"
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"server: {url}; torch: {version}; load average {load} on {os.cpu_count()} cores")
        for section in sections:
            SECTIONS[section](url)


if __name__ == "__main__":
    main()
