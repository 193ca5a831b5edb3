"""The network endpoints of API.md: datasets, training, the learning-rate fan, gradients,
one example's backprop, the cost of nudging as networks grow, the loss landscape.

Thin: pydantic validates (net_schemas), ``app.nets`` computes, and the reply is
strict JSON. The computing runs in the shared workers of ``app.api.compute`` in
turns of about 50 ms (so no request holds a worker for long, and the event loop
stays free); even the JSON is built and encoded there (``responses.json_response``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from app import limits
from app.api import compute
from app.api.net_schemas import (
    BackpropRequest,
    FanRequest,
    GradientsRequest,
    LandscapeRequest,
    ScalingRequest,
    TrainRequest,
)
from app.api.responses import bounded_errors, encode, json_response
from app.api.schemas import with_examples
from app.nets import backprop, datasets, gradcheck, landscape, train

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


async def result_in_turns(steps: Iterator) -> Any:
    """The last item of a computation stepped in turns (its result)."""
    result = None
    async for item in in_turns(steps):
        result = item
    return result


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


@router.post("/api/train/fan")
async def train_fan(
    request: Annotated[FanRequest, with_examples(FanRequest)],
) -> Response:
    """The same network (same initial weights, data and minibatch order) trained once per
    learning rate: ``{"runs": [{"lr", "status", "verdict", "epochs_trained", "history"}]}``.

    The rates replace the optimizer's ``lr``; the work of all runs together is bounded.
    """
    steps = train.fan_steps(
        request.dataset.load,
        request.network.build,
        [(lr, request.settings_for(lr)) for lr in request.lrs],
    )
    result = await result_in_turns(steps)
    return await json_response(lambda: result)


@router.post("/api/network/gradients")
async def network_gradients(
    request: Annotated[GradientsRequest, with_examples(GradientsRequest)],
) -> Response:
    """Every weight's gradient by backpropagation and by central finite differences.

    The loss is taken over the training points (loss + L2 penalty when ``l2`` > 0). A
    network whose loss or gradient is not finite has diverged: a 422 says so.
    """
    net, data = request.network.build(), request.dataset.load().train
    steps = gradcheck.check_steps(net, data, request.l2, request.epsilon)
    try:
        report = await result_in_turns(steps)
    except gradcheck.NotFinite as error:
        raise RequestValidationError(
            [{"type": "diverged_network", "loc": ["body", "network"], "msg": str(error)}]
        ) from None
    return await json_response(lambda: report)


@router.post("/page/network/gradients", include_in_schema=False)
async def page_network_gradients(body: Annotated[Any, Body()]) -> Response:
    """``POST /api/network/gradients`` for the network page, answered 200 either way:
    ``{"ok": true, "report": {...}}`` or ``{"ok": false, "detail": [422 detail]}``.

    A check the page cannot run (too big, diverged) is an expected answer, not a failed
    request: a 4xx would put an error in the browser's console every time.
    """
    try:
        request = GradientsRequest.model_validate(body)
        response = await network_gradients(request)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        return _page_refusal([{**e, "loc": ["body", *e["loc"]]} for e in errors])
    except RequestValidationError as error:
        return _page_refusal(list(error.errors()))
    return Response(b'{"ok":true,"report":' + response.body + b"}", media_type="application/json")


def _page_refusal(errors: list[dict]) -> Response:
    detail = jsonable_encoder(bounded_errors(errors), custom_encoder={Exception: str})
    return Response(encode({"ok": False, "detail": detail}), media_type="application/json")


@router.post("/api/network/backprop")
async def network_backprop(
    request: Annotated[BackpropRequest, with_examples(BackpropRequest)],
) -> Response:
    """One example's forward and backward pass, layer by layer, as the chain rule reads:
    ``{"loss", "output", "layers": [{"layer", "input", "pre_activation", "activation",
    "slope", "delta", "grad_W", "grad_b"}]}`` (the loss has no L2 term)."""
    task = request.dataset.task_of()
    return await json_response(
        lambda: {
            "task": task,
            **backprop.backprop_example(request.network.build(), task, request.x, request.y),
        }
    )


@router.post("/api/network/gradients/scaling")
async def network_gradient_scaling(
    request: Annotated[ScalingRequest, with_examples(ScalingRequest)],
) -> Response:
    """Why backprop: the measured seconds of one backprop pass beside the 2P forward passes
    of nudging every weight, for networks of ~10 to ~10⁴ weights on the dataset's training
    points. Nudging is timed for a moment per network and the rest extrapolated
    (``extrapolated`` says where)."""
    data = await compute.run(lambda: request.dataset.load().train)
    result = await result_in_turns(gradcheck.scaling_steps(data, request.activation))
    return await json_response(lambda: result)


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
