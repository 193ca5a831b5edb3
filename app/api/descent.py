"""Descent endpoints: batch runs, streamed runs, basin maps."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError

from app import descent, optim, surfaces
from app.api import compute
from app.api.responses import (
    EncodedJSONResponse,
    StrictJSONResponse,
    accepts_gzip,
    encoded_object_response,
    encoded_response,
    finite_or_null_array,
)
from app.api.schemas import (
    BasinsRequest,
    DescentRequest,
    RunSpec,
    check_starts,
    resolve_surface,
    start_errors,
    surface_json,
    with_examples,
)

DescentBody = Annotated[DescentRequest, with_examples(DescentRequest)]

router = APIRouter(prefix="/api", tags=["descent"])


class StreamStats:
    """Counts for the streams: chunks computed, streams run to their end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.chunks = 0
        self.finished = 0

    def count(self, chunks: int = 0, finished: int = 0) -> None:
        with self._lock:
            self.chunks += chunks
            self.finished += finished


stream_stats = StreamStats()


def _label(spec: RunSpec) -> str:
    if spec.label:
        return spec.label
    title = optim.OPTIMIZERS[spec.optimizer].title
    return f"{title}, lr {spec.hyperparameters['lr']:g}"


@dataclass(frozen=True)
class ResolvedDescent:
    """A descent request whose surface is resolved and whose starts are checked."""

    body: DescentRequest
    surface: surfaces.Surface


async def resolved_descent(body: DescentBody) -> ResolvedDescent:
    """Resolve the surface (compiling a formula off the loop) and check the starts: a
    dependency, so a refusal is a 422 before a stream's first line is sent."""
    surface = await resolve_surface(body.surface)
    await check_starts(body, surface)
    return ResolvedDescent(body, surface)


Resolved = Annotated[ResolvedDescent, Depends(resolved_descent)]


def _make_descent(body: DescentRequest, surface: surfaces.Surface) -> descent.Descent:
    return descent.Descent(
        surface,
        np.array([spec.start for spec in body.runs], dtype=float),
        [(spec.optimizer, spec.hyperparameters) for spec in body.runs],
        body.max_steps,
        body.tolerance,
        body.gradient_noise,
        body.seed,
    )


def _run_header(spec: RunSpec, index: int) -> dict[str, Any]:
    return {
        "label": _label(spec),
        "optimizer": spec.optimizer,
        "hyperparameters": optim.public_hyperparameters(spec.hyperparameters),
    }


def _columns(points: np.ndarray) -> dict[str, np.ndarray]:
    """A path's (points, FIELDS) as one contiguous array per field: orjson writes them
    directly, the same text as for lists of the floats, without making the lists."""
    return dict(zip(descent.FIELDS, np.ascontiguousarray(points.T), strict=True))


def _listed(columns: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Columns as lists, for the stream's JSON Lines (FastAPI's encoder knows no numpy)."""
    return {name: values.tolist() for name, values in columns.items()}


def _outcome(result: descent.Descent, run: int) -> dict[str, Any]:
    """How run ``run`` ended: status, verdict, steps, final point, the minimum it reached.

    Everything here was computed by the descent when the run ended (in a worker
    thread): this only reads it, so a stream's event loop never waits on it.
    """
    x, y, z, gx, gy = result.final[run].tolist()
    eigenvalues = result.hessian_eigenvalues[run]
    return {
        "status": str(result.status[run]),
        "verdict": str(result.verdict[run]),
        "steps": int(result.steps[run]),
        "final": {
            "x": x,
            "y": y,
            "z": z,
            "grad_norm": float(np.hypot(gx, gy)),
            "hessian_eigenvalues": eigenvalues.tolist() if np.isfinite(eigenvalues).all() else None,
        },
        "nearest_minimum": result.nearest[run],
    }


def _descent_response(body: DescentRequest, result: descent.Descent, paths: list) -> dict:
    return {
        "surface": surface_json(body.surface),
        "runs": [
            {**_run_header(spec, i), **_outcome(result, i), "path": _columns(paths[i])}
            for i, spec in enumerate(body.runs)
        ],
    }


async def _computed_response(turns: Iterator[EncodedJSONResponse | None]) -> EncodedJSONResponse:
    """Run ``turns`` in the compute workers, one item per turn: None after each turn of
    about 50 ms of steps, like the streams' (so no request holds a worker for long),
    then the response, encoded (and gzipped, see ``encoded_response``) in the turn that
    ends the computation, so a small one (a ghost path redrawn while a slider moves) is
    one turn, not a hand-off per stage."""
    async for response in compute.iterate(turns):
        if response is not None:
            return response
    raise AssertionError("the computation ended without a response")


def _descent_turns(
    body: DescentRequest, surface: surfaces.Surface, gzip: bool
) -> Iterator[EncodedJSONResponse | None]:
    # The starts are checked here rather than in a turn of their own (a 422 all the same).
    errors = start_errors(body, surface)
    if errors:
        raise RequestValidationError(errors)
    result = _make_descent(body, surface)
    paths = descent.Paths(result.count)
    # Nobody sees a batch before it ends: no small first chunk.
    for chunk in result.chunks(first_chunk_steps=descent.MAX_CHUNK_STEPS):
        paths.add(chunk)
        if result.finished:
            break
        yield None
    yield encoded_response(_descent_response(body, result, paths.arrays()), gzip, numbers=True)


@router.post("/descent", response_class=StrictJSONResponse)
async def run_descent(body: DescentBody, request: Request) -> Response:
    """Run up to 64 hikers at once (one batch) and return every path whole."""
    surface = await resolve_surface(body.surface)
    return await _computed_response(_descent_turns(body, surface, accepts_gzip(request.headers)))


@router.post("/descent/stream")
async def stream_descent(resolved: Resolved) -> AsyncIterator[dict[str, Any]]:
    """The same runs as /api/descent, streamed as JSON Lines while they compute.

    ``start``, then ``frames`` chunks (consecutive points of one run, from
    ``from_step``), an ``end`` per run, and ``done``. The first chunk comes after
    a few steps; a client that disconnects stops the computation (Starlette stops
    pulling from this generator when a send fails, so no further chunk is computed).
    """
    body = resolved.body
    result = await compute.run(_make_descent, body, resolved.surface)
    yield {
        "type": "start",
        "surface": surface_json(body.surface),
        "runs": [_run_header(spec, i) for i, spec in enumerate(body.runs)],
    }
    async for chunk in compute.iterate(result.chunks()):
        stream_stats.count(chunks=1)
        for run, count in enumerate(chunk.counts.tolist()):
            if count:
                points = chunk.points[:count, :, run]
                yield {
                    "type": "frames",
                    "run": run,
                    "from_step": chunk.from_step,
                    **_listed(_columns(points)),
                }
        for run in chunk.ended:
            yield {"type": "end", "run": run, **_outcome(result, run)}
    yield {"type": "done"}
    stream_stats.count(finished=1)


def _basin_response(result: descent.BasinMap, surface) -> dict[str, Any]:
    """The map's arrays as they are: orjson writes numpy arrays (C-ordered) directly."""
    return {
        "x": np.ascontiguousarray(result.x),
        "y": np.ascontiguousarray(result.y),
        "minimum": np.ascontiguousarray(result.minimum),
        "steps": np.ascontiguousarray(result.steps),
        "final_z": finite_or_null_array(result.final_z),
        "status": result.status.tolist(),  # strings: numpy's are no JSON for orjson
        "minima": [m.as_json() for m in surface.minima],
    }


def _basin_turns(
    body: BasinsRequest, surface: surfaces.Surface, gzip: bool
) -> Iterator[EncodedJSONResponse | None]:
    spec = body.optimizer
    result = descent.basin_descent(
        surface,
        spec.optimizer,
        spec.hyperparameters,
        body.resolution,
        body.max_steps,
        body.tolerance,
    )
    for _ in result.chunks(record=False, first_chunk_steps=descent.MAX_CHUNK_STEPS):
        if result.finished:
            break
        yield None
    # The final heights are digits that never repeat; the rest (statuses, steps) repeats.
    yield encoded_object_response(
        _basin_response(descent.basin_map(result, body.resolution), surface),
        gzip,
        numbers={"final_z"},
    )


@router.post("/basins", response_class=StrictJSONResponse)
async def basin_map(
    body: Annotated[BasinsRequest, with_examples(BasinsRequest)], request: Request
) -> Response:
    """Which minimum each start of a grid leads to, every start run at once.

    ``minimum[i][j]`` is the index into the surface's minima reached from
    (x[j], y[i]), or -1; a run counts for a minimum when it converged within 1%
    of the domain's span of it. ``final_z`` is null where a start is not finite.
    """
    surface = await resolve_surface(body.surface)
    return await _computed_response(_basin_turns(body, surface, accepts_gzip(request.headers)))
