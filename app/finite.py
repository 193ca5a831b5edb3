"""Numbers for JSON, which has no NaN or infinity: None (null) where a value is not finite.

One place for the rule, used by the surfaces' and descents' answers (app/api) and by the
networks' (app/nets).
"""

from __future__ import annotations

import numpy as np


def finite_or_none(values: np.ndarray) -> list:
    """An array as nested lists of floats (ints and bools too), with None wherever a
    value is not finite."""
    values = np.asarray(values, dtype=float)
    if np.isfinite(values).all():
        return values.tolist()
    as_objects = values.astype(object)
    as_objects[~np.isfinite(values)] = None
    return as_objects.tolist()


def finite_number(value) -> float | None:
    """The value as a float, or None if it is not finite."""
    value = float(value)
    return value if np.isfinite(value) else None
