"""The HTML pages (Jinja2 templates), and the page's own small helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from app import __version__, limits
from app.api.schemas import MeshRequest, resolve_surface

ROOT = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter(include_in_schema=False)

# The header's nav, in order: (page id, path, title). A new page adds its line
# here and passes its id as active_page.
NAV_LINKS: list[tuple[str, str, str]] = [
    ("surfaces", "/", "Surfaces"),
    ("network", "/network", "Network"),
    ("lessons", "/lessons", "Lessons"),
]

# The bounds the network page checks before asking (the server checks them again).
NETWORK_LIMITS = {
    "max_hidden_layers": limits.MAX_HIDDEN_LAYERS,
    "max_hidden_units": limits.MAX_HIDDEN_UNITS,
    "min_points": limits.MIN_DATASET_POINTS,
    "max_points": limits.MAX_DATASET_POINTS,
    "max_noise": limits.MAX_DATASET_NOISE,
    "max_test_fraction": limits.MAX_TEST_FRACTION,
    "max_epochs": limits.MAX_EPOCHS,
    "max_l2": limits.MAX_L2,
    "max_network_work": limits.MAX_NETWORK_WORK,
    "max_optimizer_steps": limits.MAX_OPTIMIZER_STEPS,
    "max_trajectory_values": limits.MAX_TRAJECTORY_VALUES,
    # |weight| of a network sent back (gradient check, walk)
    "max_weight": limits.MAX_DATA_MAGNITUDE,
    "max_unit_resolution": limits.MAX_UNIT_RESOLUTION,
}


def page_context(active_page: str, **extra: Any) -> dict[str, Any]:
    """What every page template (base.html) needs: version, nav links, the active page."""
    return {"version": __version__, "nav_links": NAV_LINKS, "active_page": active_page, **extra}


@router.get("/", response_class=HTMLResponse)
def surface_page(request: Request) -> HTMLResponse:
    """The surface explorer."""
    return templates.TemplateResponse(request, "index.html", page_context("surfaces"))


@router.get("/network", response_class=HTMLResponse)
def network_page(request: Request) -> HTMLResponse:
    """The network trainer: a small network trained live over WS /ws/train."""
    context = page_context("network", limits=NETWORK_LIMITS)
    return templates.TemplateResponse(request, "network.html", context)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on pages without a <link rel=icon> (e.g. /docs)."""
    return FileResponse(ROOT / "static" / "favicon.svg", media_type="image/svg+xml")


@router.post("/page/check-surface")
async def check_surface(surface: Annotated[Any, Body(embed=True)]) -> dict:
    """Check a surface spec the user typed, answering 200 either way.

    The same validation and resolution as every /api endpoint that takes a surface
    (so the same messages and character positions; a formula compiled within its
    budget, off the event loop), but a typo in the formula box is an expected answer
    for the page, not a failed request: a 422 would put a "Failed to load resource"
    error in the browser console every time.
    """
    try:
        request = MeshRequest.model_validate({"surface": surface, "resolution": 2})
    except ValidationError as error:
        detail = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"], "ctx": e.get("ctx")}
            for e in error.errors(include_url=False, include_input=False)
        ]
        return {"ok": False, "detail": jsonable_encoder(detail, custom_encoder={Exception: str})}
    try:
        surface = await resolve_surface(request.surface)
    except RequestValidationError as error:
        detail = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"], "ctx": e.get("ctx")}
            for e in error.errors()
        ]
        return {"ok": False, "detail": jsonable_encoder(detail)}
    # the minima found on its domain, so the page marks them (★ global, ◇ local)
    return {"ok": True, "detail": [], "minima": [m.as_json() for m in surface.minima]}
