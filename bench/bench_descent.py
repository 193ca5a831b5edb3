"""Descent engine benchmarks, as ratios against torch.optim measured in the same run.

    python bench/bench_descent.py

1. 8 Adam runs × 2,000 steps on Rosenbrock through POST /api/descent (HTTP round
   trip included) vs torch.optim computing the same paths in-process
   (target: ≤ 0.25×).
2. POST /api/basins, 100×100 starts × 300 steps vs torch doing the same batched
   (target: ≤ 0.5×).
3. 16 concurrent 20,000-step streams while /api/health keeps answering
   (target: p95 < 250 ms).
4. How soon the first chunk of a 100,000-step stream arrives (target: ~100 ms).

The server runs in its own process (python -m app) on a free loopback port.
torch is optional: without it the ratios are skipped and only our times print.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import numpy as np
from server import running_server

REPEATS = 5

try:
    import torch

    torch.set_default_dtype(torch.float64)
except ImportError:  # torch is optional
    torch = None


def best_of(function, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


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
    with httpx.Client(timeout=60) as http:
        http.post(f"{url}/api/descent", json=body)  # warm up

        def ours():
            response = http.post(f"{url}/api/descent", json=body)
            response.raise_for_status()
            response.json()

        ours_seconds = best_of(ours)
    print(f"1. descent, 8 Adam runs × {steps} steps, HTTP round trip: {ours_seconds * 1e3:.1f} ms")
    if torch is None:
        print("   torch is not installed: no reference ratio")
        return

    def torch_per_run():
        for start in STARTS:
            point = torch.tensor(start, requires_grad=True)
            optimizer = torch.optim.Adam([point], lr=0.01)
            for _ in range(steps):
                optimizer.zero_grad()
                rosenbrock_torch(point).backward()
                optimizer.step()

    def torch_batched():
        points = torch.tensor(STARTS, requires_grad=True)
        optimizer = torch.optim.Adam([points], lr=0.01)
        for _ in range(steps):
            optimizer.zero_grad()
            rosenbrock_torch(points).backward()
            optimizer.step()

    per_run = best_of(torch_per_run, 3)
    batched = best_of(torch_batched, 3)
    print(f"   torch.optim, one optimizer per run (the same 8 paths): {per_run * 1e3:.1f} ms")
    print(f"   torch.optim, the 8 runs as one (8, 2) tensor:          {batched * 1e3:.1f} ms")
    print(f"   ratio ours / torch per run: {ours_seconds / per_run:.3f}  (target ≤ 0.25)")
    print(f"   ratio ours / torch batched: {ours_seconds / batched:.3f}")


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
        with httpx.Client(timeout=60) as http:
            http.post(f"{url}/api/basins", json=body)

            def ours(body=body):
                http.post(f"{url}/api/basins", json=body).raise_for_status()

            ours_seconds = best_of(ours)
        line = f"   {name} {hyper}, tolerance {tolerance:g}: {ours_seconds * 1e3:.1f} ms"
        if torch_class is None:
            print(line + " (torch is not installed: no reference ratio)")
            continue

        def torch_batched(torch_class=torch_class, hyper=hyper):
            points = torch.tensor(grid, requires_grad=True)
            optimizer = torch_class([points], **hyper)
            for _ in range(steps):
                optimizer.zero_grad()
                himmelblau_torch(points).backward()
                optimizer.step()

        reference = best_of(torch_batched, 3)
        print(
            f"{line}; torch batched ({resolution**2}, 2), all {steps} steps: "
            f"{reference * 1e3:.1f} ms; ratio {ours_seconds / reference:.3f} (target ≤ 0.5)"
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


def main() -> None:
    with running_server() as url:
        print(f"server: {url}; torch: {torch.__version__ if torch else 'not installed'}")
        bench_descent(url)
        bench_basins(url)
        bench_streams_and_health(url)
        bench_first_chunk(url)


if __name__ == "__main__":
    main()
