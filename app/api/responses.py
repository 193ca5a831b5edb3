"""Strict, fast JSON responses built from numpy arrays.

Big responses (a 64-run descent is tens of MB) are built and encoded by orjson,
which writes numpy arrays directly, in a compute worker: the event loop only
sends the bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from fastapi.responses import JSONResponse, Response

from app.api import compute

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def encode(content: Any) -> bytes:
    """Strict JSON bytes. orjson writes NaN and ±Infinity as null, so a response never
    carries them; the builders turn every non-finite value into null on purpose."""
    return orjson.dumps(content, option=_OPTIONS)


class StrictJSONResponse(JSONResponse):
    """JSON that can never contain NaN or Infinity, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        return encode(content)


async def json_response(
    build: Callable[..., Any], *args: Any, status_code: int = 200
) -> Response:
    """``build(*args)`` encoded as JSON, both done in a compute worker (off the event loop)."""

    def build_and_encode() -> bytes:
        return encode(build(*args))

    body = await compute.run(build_and_encode)
    return Response(body, status_code=status_code, media_type="application/json")


def finite_or_none(values: np.ndarray) -> list:
    """An array as nested lists, with null wherever a value is not finite."""
    values = np.asarray(values, dtype=float)
    if np.isfinite(values).all():
        return values.tolist()
    as_objects = values.astype(object)
    as_objects[~np.isfinite(values)] = None
    return as_objects.tolist()


def without_non_finite(value: Any) -> Any:
    """A JSON-able value with every NaN or ±Infinity float replaced by its name as a string."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: without_non_finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_non_finite(v) for v in value]
    return value
