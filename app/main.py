"""The FastAPI application: the API routers, the pages, static files and plotly.js."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import descent, live, nets, pages, surfaces
from app.api.responses import StrictJSONResponse, without_non_finite
from app.surfaces import warm_catalogue
from app.surfaces.compiler import compiler as formula_compiler

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Compiling a formula (SymPy → numpy) takes a moment; do the catalogue's in
    # the background at start-up so the first descent on any surface is quick.
    threading.Thread(target=warm_catalogue, daemon=True).start()
    # Users' formulas compile in worker processes (app/surfaces/compiler.py), started
    # now in the background and stopped with the server.
    formula_compiler.start()
    yield
    await asyncio.to_thread(formula_compiler.stop)


app = FastAPI(
    lifespan=lifespan,
    title="Gradient Hiker",
    version=__version__,
    description="Gradient descent on cost surfaces and small networks, as a JSON API. "
    "The contract is API.md; every bound is listed in the README.",
)


@app.exception_handler(RequestValidationError)
def validation_error(request: Request, error: RequestValidationError) -> StrictJSONResponse:
    """FastAPI's usual 422 body, kept strict JSON when the bad input was NaN or Infinity."""
    detail = without_non_finite(jsonable_encoder(error.errors()))
    return StrictJSONResponse({"detail": detail}, status_code=422)


@app.get("/api/health", tags=["meta"])
def health() -> dict:
    """Liveness: answers at once, even while runs are computing."""
    return {"status": "ok", "version": __version__}


@app.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package: no CDN, works offline."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


app.include_router(surfaces.router)
app.include_router(descent.router)
app.include_router(nets.router)
app.include_router(live.router)
app.include_router(pages.router)
app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
