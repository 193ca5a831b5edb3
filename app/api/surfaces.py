"""Surface endpoints: the catalogue, formulas, meshes and point evaluation."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Response

from app import optim, surfaces
from app.api.responses import StrictJSONResponse, json_response
from app.api.schemas import (
    EvaluateRequest,
    FormulaRequest,
    MeshRequest,
    compile_or_422,
    resolve_surface,
    with_examples,
)
from app.finite import finite_or_none

router = APIRouter(prefix="/api", tags=["surfaces"], default_response_class=StrictJSONResponse)


def _catalogue_entry(entry: surfaces.CatalogueEntry) -> dict:
    formula = surfaces.compile_formula(entry.formula)
    return {
        "name": entry.name,
        "title": entry.title,
        "description": entry.description,
        "formula": entry.formula,
        "latex": formula.latex,
        "gradient_latex": formula.gradient_latex,
        "x_range": list(entry.x_range),
        "y_range": list(entry.y_range),
        "minima": [minimum.as_json() for minimum in entry.minima],
        "start": list(entry.start),
        # The surface's lesson, runnable as POST /api/descent (API.md, "Presets").
        "preset": entry.preset.as_json() if entry.preset else None,
    }


@router.get("/surfaces")
def list_surfaces() -> StrictJSONResponse:
    """The catalogue of surfaces: formula, LaTeX of f and ∇f, domain, minima, a good start."""
    return StrictJSONResponse([_catalogue_entry(e) for e in surfaces.CATALOGUE.values()])


@router.post("/formula")
async def check_formula(
    body: Annotated[FormulaRequest, with_examples(FormulaRequest)],
) -> StrictJSONResponse:
    """Check a formula; answer its LaTeX and the LaTeX of both partial derivatives.

    A formula outside the grammar is a 422 whose message says what is wrong and
    at which character (``ctx.position``, 0-based); one over the compile budget
    (time, or size of its derivatives) is a 422 of type ``formula_too_complex``.
    """
    compiled = await compile_or_422(body.formula, ("body", "formula"))
    return StrictJSONResponse(
        {
            "formula": body.formula,
            "latex": compiled.latex,
            "gradient_latex": compiled.gradient_latex,
        }
    )


def _mesh(surface, resolution: int) -> dict:
    xs, ys = surface.grid(resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = surface.formula.value(grid_x, grid_y)
    return {"x": xs.tolist(), "y": ys.tolist(), "z": finite_or_none(z)}


@router.post("/mesh")
async def mesh(body: Annotated[MeshRequest, with_examples(MeshRequest)]) -> Response:
    """f on a resolution × resolution grid: ``z[i][j] = f(x[j], y[i])``; null where not finite."""
    surface = await resolve_surface(body.surface)
    return await json_response(_mesh, surface, body.resolution)


def _evaluate(surface, points: list) -> dict:
    points = np.array(points, dtype=float).reshape(-1, 2)
    z, gx, gy = surface.formula.value_and_gradient(points[:, 0], points[:, 1])
    return {"z": finite_or_none(z), "grad_x": finite_or_none(gx), "grad_y": finite_or_none(gy)}


@router.post("/evaluate")
async def evaluate(
    body: Annotated[EvaluateRequest, with_examples(EvaluateRequest)],
) -> Response:
    """f and ∇f at each point; null where a value is not finite."""
    surface = await resolve_surface(body.surface)
    return await json_response(_evaluate, surface, body.points)


@router.get("/optimizers", tags=["optimizers"])
def list_optimizers() -> StrictJSONResponse:
    """Every optimizer with torch.optim's defaults, the accepted range of each hyperparameter
    and a one-line description."""
    return StrictJSONResponse(
        [
            {
                "name": info.name,
                "title": info.title,
                "description": info.description,
                "hyperparameters": {
                    name: {
                        "default": list(h.default) if isinstance(h.default, tuple) else h.default,
                        "minimum": h.minimum,
                        "maximum": h.maximum,
                        "description": h.description,
                        "type": h.kind,
                    }
                    for name, h in info.hyperparameters.items()
                },
            }
            for info in optim.OPTIMIZERS.values()
        ]
    )
