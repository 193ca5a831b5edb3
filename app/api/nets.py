"""The network endpoints of API.md: datasets, training, gradients, the loss landscape.

Thin: pydantic validates (net_schemas), ``app.nets`` computes, and the reply is
strict JSON. The computing runs in the shared workers of ``app.api.compute`` in
turns of about 50 ms (so no request holds a worker for long, and the event loop
stays free); even the JSON is encoded there.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from app import limits
from app.api import compute
from app.api.net_schemas import GradientsRequest, LandscapeRequest, TrainRequest
from app.api.schemas import with_examples
from app.nets import datasets, gradcheck, landscape, train

router = APIRouter(tags=["networks"])

TURN_SECONDS = 0.05


def _take_turn(steps: Iterator, seconds: float) -> tuple[list, bool]:
    """What ``steps`` yields in about ``seconds`` (Nones left out), and whether it ended."""
    items, deadline = [], time.perf_counter() + seconds
    for item in steps:
        if item is not None:
            items.append(item)
        if time.perf_counter() >= deadline:
            return items, False
    return items, True


async def in_turns(steps: Iterator) -> AsyncIterator[Any]:
    """Step a computation in the shared workers, a turn at a time, yielding its items."""
    finished = False
    while not finished:
        items, finished = await compute.run(_take_turn, steps, TURN_SECONDS)
        for item in items:
            yield item


def _encode(content) -> bytes:
    return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


async def json_response(build, *args) -> Response:
    """``build(*args)`` as strict JSON, built and encoded in a worker."""
    body = await compute.run(lambda: _encode(build(*args)))
    return Response(body, media_type="application/json")


@router.get("/api/datasets")
def list_datasets() -> list[dict]:
    """The datasets a network can train on."""
    return [
        {
            "name": info.name,
            "title": info.title,
            "task": info.task,
            "description": " ".join(info.description.split()),
        }
        for info in datasets.DATASETS.values()
    ]


@router.get("/api/datasets/{name}")
async def get_dataset(
    name: str,
    n: int = Query(200, ge=limits.MIN_DATASET_POINTS, le=limits.MAX_DATASET_POINTS),
    noise: float = Query(0.1, ge=0, le=limits.MAX_DATASET_NOISE, allow_inf_nan=False),
    seed: int = Query(0, ge=0, le=2**32 - 1),
) -> Response:
    """``n`` points of a dataset, the same for the same seed: ``{"x": [[x1, x2], …], "y": […]}``."""
    if name not in datasets.DATASETS:
        raise HTTPException(
            404, f"unknown dataset {name!r}; choose one of {', '.join(datasets.DATASETS)}"
        )

    def points() -> dict:
        data = datasets.generate(name, n, noise, seed)
        return {"x": data.x.tolist(), "y": data.y.tolist(), "task": data.task}

    return await json_response(points)


def _training(request: TrainRequest) -> train.Training:
    return train.Training(request.dataset.load(), request.network.build(), request.settings())


@router.post("/api/train")
async def train_network(
    request: Annotated[TrainRequest, with_examples(TrainRequest)],
) -> Response:
    """Train to the end: ``{"status", "history": [epoch record, …], "weights"}``.

    The history holds epoch 0 (the starting network), every ``record_every``-th epoch
    and the last one; ``grid`` gives the boundary's axes when one is asked for.
    """
    training = await compute.run(_training, request)
    records = [record async for record in in_turns(train.history(training))]
    return await json_response(train.summary, training, records)


@router.post("/api/train/stream")
async def train_network_stream(
    request: Annotated[TrainRequest, with_examples(TrainRequest)],
) -> AsyncIterator[dict]:
    """The same run as JSON Lines: ``start``, one ``epoch`` per record, ``done``.

    A client that disconnects stops the training (no further turn is computed).
    """
    training = await compute.run(_training, request)
    async for message in in_turns(train.stream_messages(training)):
        yield message


@router.post("/api/network/gradients")
async def network_gradients(
    request: Annotated[GradientsRequest, with_examples(GradientsRequest)],
) -> Response:
    """Every weight's gradient by backpropagation and by central finite differences.

    The loss is taken over the training points (loss + L2 penalty when ``l2`` > 0).
    """
    net, data = request.network.build(), request.dataset.load().train
    steps = gradcheck.check_steps(net, data, request.l2, request.epsilon)
    report = [item async for item in in_turns(steps)][-1]
    return await json_response(lambda: report)


@router.post("/api/network/landscape")
async def network_landscape(
    request: Annotated[LandscapeRequest, with_examples(LandscapeRequest)],
) -> Response:
    """Train, then slice the loss surface through the final weights; project the path."""
    steps = landscape.explore_steps(
        request.dataset.load(),
        request.network.build(),
        request.settings(),
        request.directions,
        request.resolution,
        request.span,
    )
    result = [item async for item in in_turns(steps)][-1]
    return await json_response(lambda: result)
