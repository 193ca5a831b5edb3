"""Strict, fast JSON responses built from numpy arrays."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi.responses import JSONResponse


class StrictJSONResponse(JSONResponse):
    """JSON that can never contain NaN or Infinity (serialising one is a server bug)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


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
