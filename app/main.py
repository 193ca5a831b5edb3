"""The FastAPI application: the API routers, the pages, static files and plotly.js."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import descent, live, nets, pages, surfaces

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

app = FastAPI(
    title="Gradient Hiker",
    version=__version__,
    description="Gradient descent on cost surfaces and small networks, as a JSON API. "
    "The contract is API.md; every bound is listed in the README.",
)


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
