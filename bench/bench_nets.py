"""Benchmarks of the network endpoints, as ratios measured in the same run.

    python bench/bench_nets.py            (from the repository root)

1. ``POST /api/train``: spiral, 400 points, 2-16-16-1 tanh, Adam, 500 full-batch
   epochs, against torch training the same network from the same weights in
   process (CPU, float64, one thread). Goal: ours / torch ≤ 0.5.
2. ``POST /api/network/landscape``: the same run plus a 31×31 slice. Goal: at
   most 2× the time of the 500 training epochs.
3. Live sessions: 8 WebSocket sessions training on a real server while
   ``/api/health`` is polled. Goal: p95 latency under 250 ms, at most ~30
   messages a second per session.

torch is optional: without it the first ratio is skipped with a message.

Both sides run with one BLAS thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1
for numpy, set here before numpy loads): on a small shared machine OpenBLAS's own
threads only fight the server's.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from server import running_server  # noqa: E402  (bench/server.py, beside this file)

from app.main import app  # noqa: E402
from app.nets import datasets  # noqa: E402
from app.nets.mlp import MLP  # noqa: E402

REPEATS = 7
TRAIN_BODY = {
    "dataset": {"name": "spiral", "n": 400, "noise": 0.1, "seed": 0, "test_fraction": 0},
    "network": {"hidden": [16, 16], "activation": "tanh", "seed": 0},
    "optimizer": {"optimizer": "adam", "lr": 0.01},
    "epochs": 500,
}


def best_time(run, repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs (after one warm-up), in seconds."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def torch_training_seconds() -> float | None:
    """torch.optim.Adam training the same network from the same weights, 500 epochs."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    data = datasets.generate("spiral", 400, 0.1, 0)
    x = torch.tensor(data.x, dtype=torch.float64)
    y = torch.tensor(data.y, dtype=torch.float64)
    net = MLP.initialised([16, 16], "tanh", 0)

    def run():
        params = []
        for W, b in zip(*net.views(net.theta.copy()), strict=True):
            params += [torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)]
        optimizer = torch.optim.Adam(params, lr=0.01)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(500):
            optimizer.zero_grad()
            h = x
            for layer in range(0, len(params), 2):
                h = h @ params[layer] + params[layer + 1]
                if layer < len(params) - 2:
                    h = torch.tanh(h)
            loss = loss_fn(h[:, 0], y)
            loss.backward()
            optimizer.step()
            loss.item()

    return best_time(run)


def bench_train_and_landscape() -> None:
    client = TestClient(app)

    def train():
        response = client.post("/api/train", json=TRAIN_BODY)
        assert response.status_code == 200, response.text

    def landscape():
        body = {**TRAIN_BODY, "resolution": 31, "directions": "pca"}
        response = client.post("/api/network/landscape", json=body)
        assert response.status_code == 200, response.text

    ours = best_time(train)
    reference = torch_training_seconds()
    print("1. POST /api/train  spiral 400 pts, 2-16-16-1 tanh, Adam, 500 full-batch epochs")
    print(f"   ours {ours * 1000:8.1f} ms (HTTP in-process, 501 epoch records)")
    if reference is None:
        print("   torch is not installed: the ratio against torch is skipped")
    else:
        ratio = ours / reference
        verdict = "ok" if ratio <= 0.5 else "OVER"
        print(f"   torch {reference * 1000:7.1f} ms (float64, 1 thread, same weights)")
        print(f"   ratio ours/torch = {ratio:.2f}  (goal ≤ 0.5: {verdict})")

    seconds = best_time(landscape)
    ratio = seconds / ours
    verdict = "ok" if ratio < 2 else "OVER"
    print("2. POST /api/network/landscape  the same run + a 31×31 PCA slice")
    print(
        f"   {seconds * 1000:8.1f} ms; ratio landscape/train = {ratio:.2f}  (goal < 2: {verdict})"
    )
    slice_only = seconds - ours
    print(
        f"   the slice alone (landscape − train) ≈ {slice_only * 1000:.1f} ms "
        f"= {slice_only / ours:.2f}× the training"
    )


# --- live sessions on a real server ----------------------------------------------


async def live_sessions(port: int, sessions: int = 8, seconds: float = 8.0) -> None:
    import httpx
    import websockets

    start = {
        "type": "start",
        "dataset": {"name": "spiral", "n": 400},
        "network": {"hidden": [16, 16], "activation": "tanh"},
        "optimizer": {"optimizer": "adam", "lr": 0.01},
        "epochs": 20000,
        "boundary_resolution": 40,
    }
    counts = [0] * sessions
    epochs = [0] * sessions
    stop = asyncio.Event()

    async def session(index: int) -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/train", max_size=None) as ws:
            await ws.send(json.dumps(start))
            while not stop.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                if message["type"] == "epoch":
                    counts[index] += 1
                    epochs[index] = message["epoch"]

    async def poll_health(latencies: list) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await asyncio.sleep(1.0)  # let the sessions get going
            while not stop.is_set():
                started = time.perf_counter()
                response = await client.get("/api/health")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
                await asyncio.sleep(0.05)

    latencies: list[float] = []
    tasks = [asyncio.create_task(session(i)) for i in range(sessions)]
    tasks.append(asyncio.create_task(poll_health(latencies)))
    await asyncio.sleep(seconds)
    counts_at_end = list(counts)
    stop.set()
    await asyncio.gather(*tasks)
    p95 = float(np.percentile(latencies, 95)) * 1000
    rate = max(counts_at_end) / seconds
    verdict = "ok" if p95 < 250 else "OVER"
    print(f"3. {sessions} live sessions (spiral, 2-16-16-1, boundary 40×40) for {seconds:g} s")
    print(f"   /api/health p95 {p95:.1f} ms over {len(latencies)} requests (goal < 250: {verdict})")
    reached = f"{min(epochs)}…{max(epochs)}"
    print(f"   messages per session per second ≤ {rate:.1f}; epochs reached {reached}")


def bench_live() -> None:
    try:
        import httpx  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        print("3. live sessions skipped: needs the httpx and websockets packages")
        return
    with running_server() as url:
        asyncio.run(live_sessions(int(url.rsplit(":", 1)[1])))


if __name__ == "__main__":
    bench_train_and_landscape()
    bench_live()
