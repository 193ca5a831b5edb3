"""Stability maps (two hyperparameters at once) and curvature (the Hessian at points)."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Response
from fastapi.exceptions import RequestValidationError

from app import stability, surfaces
from app.api import compute
from app.api.responses import StrictJSONResponse, json_response
from app.api.schemas import (
    CurvatureRequest,
    StabilityRequest,
    resolve_surface,
    unusable_starts,
    with_examples,
)
from app.finite import finite_or_none

router = APIRouter(prefix="/api", default_response_class=StrictJSONResponse)


async def check_start(surface: surfaces.Surface, start: list[float]) -> None:
    """A 422 at ``start`` when no run can start there (as for a descent's starts)."""
    (reason,) = await compute.run(unusable_starts, surface, np.array([start], dtype=float))
    if reason is not None:
        loc = ("body", "start")
        raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": reason}])


def _stability_response(runs: stability.StabilityRuns) -> dict[str, Any]:
    result = runs.map()
    return {
        "x": result.x.tolist(),
        "y": result.y.tolist(),
        "verdict": result.verdict.tolist(),
        "steps": result.steps.tolist(),
        "final_z": finite_or_none(result.final_z),
    }


@router.post("/stability", tags=["descent"])
async def stability_map(
    body: Annotated[StabilityRequest, with_examples(StabilityRequest)],
) -> Response:
    """One run per cell of a grid of two hyperparameters, all from ``start``, computed as
    one batch; each cell's ``verdict`` is the one a single descent with those values gets.

    ``x.name`` and ``y.name`` are numeric hyperparameters of the optimizer (``beta1`` and
    ``beta2`` for Adam's ``betas``); their values replace the optimizer spec's. Rows are
    y: ``verdict[i][j]`` is the run with x[j] and y[i]. Every cell must be valid for
    torch (a 422 names the axis end that is not).
    """
    surface = await resolve_surface(body.surface)
    await check_start(surface, body.start)
    x, y = body.axes()
    spec = body.optimizer
    runs = await compute.run(
        stability.StabilityRuns,
        surface,
        tuple(body.start),
        spec.optimizer,
        spec.fixed,
        x,
        y,
        body.max_steps,
        body.tolerance,
    )
    # Computed in turns of about 50 ms, like basin maps, so no request holds a worker.
    async for _ in compute.iterate(runs.chunks()):
        pass
    return await json_response(_stability_response, runs)


def _curvature_response(surface: surfaces.Surface, points: list) -> dict[str, Any]:
    result = stability.curvature(surface, np.array(points, dtype=float).reshape(-1, 2))
    finite = np.isfinite(result.eigenvalues).all(axis=1)
    return {
        "hessian": finite_or_none(result.hessian),
        "eigenvalues": [
            pair if ok else None
            for pair, ok in zip(result.eigenvalues.tolist(), finite.tolist(), strict=True)
        ],
        "condition_number": finite_or_none(result.condition_number),
    }


@router.post("/curvature", tags=["surfaces"])
async def curvature(
    body: Annotated[CurvatureRequest, with_examples(CurvatureRequest)],
) -> Response:
    """The Hessian of f at each point, [[f_xx, f_xy], [f_xy, f_yy]], its eigenvalues
    [λ_min, λ_max] and the condition number λ_max / λ_min.

    Entries are null where not finite; eigenvalues where the Hessian is not finite; the
    condition number where the Hessian is not positive definite. On a quadratic, plain
    gradient descent converges exactly for learning rates below 2 / λ_max.
    """
    surface = await resolve_surface(body.surface)
    return await json_response(_curvature_response, surface, body.points)
