"""The FastAPI application: the API routers, the pages, static files and plotly.js,
behind the HTTP edge (app/api/edge.py: body limit, slow readers, security headers)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import Headers

from app import __version__
from app.api import compute, descent, lessons, live, nets, pages, stability, surfaces
from app.api.edge import BodyLimit, SecurityHeaders, SlowReaderGuard
from app.api.responses import (
    CompressedStaticFiles,
    StrictJSONResponse,
    bounded_errors,
    file_response,
    gzip_cache,
    without_non_finite,
)
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
    # Every page loads plotly.js (4.8 MB, 1.5 MB gzipped): compress it before anyone asks.
    plotly_stat = PLOTLY_JS.stat()
    threading.Thread(
        target=gzip_cache.gzipped, args=(str(PLOTLY_JS), plotly_stat), daemon=True
    ).start()
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
    # /docs is served below from vendored Swagger UI (no CDN); no ReDoc.
    docs_url=None,
    redoc_url=None,
)


@app.exception_handler(RequestValidationError)
def validation_error(request: Request, error: RequestValidationError) -> StrictJSONResponse:
    """FastAPI's usual 422 body, quoting at most a short excerpt of the input, and kept
    strict JSON when the bad input was NaN or Infinity."""
    detail = bounded_errors(error.errors())
    detail = without_non_finite(jsonable_encoder(detail, custom_encoder={Exception: str}))
    return StrictJSONResponse({"detail": detail}, status_code=422)


@app.get("/api/health", tags=["meta"])
async def health() -> dict:
    """Liveness: answers at once, even while runs are computing (on the loop: no thread hop)."""
    return {"status": "ok", "version": __version__}


@app.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js(request: Request) -> Response:
    """plotly.js from the installed plotly package: no CDN, works offline; gzipped."""
    return file_response(PLOTLY_JS, PLOTLY_JS.stat(), Headers(scope=request.scope))


@app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI on /openapi.json, from static/vendor/swagger-ui/: works offline."""
    context = {"title": app.title, "version": __version__}
    return pages.templates.TemplateResponse(request, "docs.html", context)


app.include_router(surfaces.router)
app.include_router(descent.router)
app.include_router(stability.router)
app.include_router(nets.router)
app.include_router(live.router)
app.include_router(pages.router)
app.include_router(lessons.router)
app.mount("/static", CompressedStaticFiles(directory=STATIC_DIR), name="static")
app.add_middleware(compute.ClientMiddleware)  # whose turn it is in the compute workers
# The edge, outermost last: every response (a 413 too) gets the security headers.
app.add_middleware(BodyLimit)
app.add_middleware(SlowReaderGuard)
app.add_middleware(SecurityHeaders)
