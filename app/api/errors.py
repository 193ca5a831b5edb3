"""422 errors in FastAPI's usual shape, raised from validators or from routers."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


def field_error(
    loc: tuple[str | int, ...],
    message: str,
    error_type: str = "value_error",
    input_value: Any = None,
    **ctx: Any,
) -> ValidationError:
    """A ValidationError for one field.

    Raised inside a pydantic validator, its ``loc`` is appended to the
    validator's own location, so the 422 names the exact offending field.
    """
    return ValidationError.from_exception_data(
        "request",
        [
            InitErrorDetails(
                type=PydanticCustomError(error_type, message, ctx or None),
                loc=loc,
                input=input_value,
            )
        ],
    )
