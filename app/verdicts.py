"""What happened to a hiker, in one word the server says (API.md, "Verdicts").

A run's verdict comes from its status, the Hessian at its final point and, for a
run that ran out of steps, its last ``WINDOW`` steps (the descent loop keeps them):

- ``diverged``: its status is diverged.
- ``converged`` / ``saddle`` / ``maximum``: it stopped at a stationary point —
  |∇f| ≤ tolerance, or, with tolerance 0 (which never stops a run), it ran out of
  steps *at rest* (its last step at most ``AT_REST`` long) within ``AT_REST`` of
  a stationary point. The Hessian there says which: a negative and a positive
  eigenvalue is a saddle, only negative ones (and zeros) a maximum, no negative
  one converged. A saddle is never converged.
- ``oscillating``: it ran out of steps while bouncing — its step direction
  reversed (each step against the one before, d_t · d_{t-1} < 0) in at least half
  of its last WINDOW step pairs.
- ``crawling``: it ran out of steps while still moving steadily downhill — not
  bouncing, f rose in at most a quarter of its last WINDOW steps, and f is no
  higher at the end than WINDOW steps before. (A learning rate of 0 crawls too.)
- A run out of steps that is neither (its cost keeps rising and falling without
  its direction flipping: circling a minimum with momentum, or wandering under
  gradient noise) is ``oscillating``: like a bouncing hiker it goes back and
  forth without settling.

Eigenvalues whose size could not change f by more than a billionth (relative)
anywhere across the domain count as zero: far out on Easom's plain the Hessian is
1e-40 with either sign. Where the Hessian is not finite (a kink such as abs(x) at
0) the eigenvalues are unknown (null) and a tiny ring of points around the final
point decides instead.
"""

from __future__ import annotations

import numpy as np

from app.surfaces import Minimum, Surface, polish_minima

CONVERGED, SADDLE, MAXIMUM = "converged", "saddle", "maximum"
CRAWLING, OSCILLATING, DIVERGED = "crawling", "oscillating", "diverged"
VERDICTS = (CONVERGED, SADDLE, MAXIMUM, CRAWLING, OSCILLATING, DIVERGED)

WINDOW = 32  # the last steps of a run that ran out of steps, looked at to judge it
AT_REST = 1e-6  # distance: last step and distance to a stationary point, for "at rest"
REACHED = 0.01  # a listed minimum is the one reached within this share of the domain's span


def hessian_eigenvalues(surface: Surface, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n, 2): [λ_min, λ_max] of the symbolic Hessian at each point; NaN where not finite."""
    hxx, hxy, hyy = surface.formula.hessian(x, y)
    mean = (hxx + hyy) / 2
    with np.errstate(all="ignore"):
        radius = np.hypot((hxx - hyy) / 2, hxy)
        eigenvalues = np.stack([mean - radius, mean + radius], axis=1)
    eigenvalues[~np.isfinite(eigenvalues).all(axis=1)] = np.nan
    return eigenvalues


def _stationary_kind(
    surface: Surface, x: np.ndarray, y: np.ndarray, z: np.ndarray, eigenvalues: np.ndarray
) -> np.ndarray:
    """converged / saddle / maximum for runs that stopped at a stationary point."""
    flat = 1e-9 * np.maximum(1.0, np.abs(z)) / surface.spans.min() ** 2
    negative = eigenvalues[:, 0] < -flat
    positive = eigenvalues[:, 1] > flat
    kinds = np.where(negative, np.where(positive, SADDLE, MAXIMUM), CONVERGED).astype(object)
    kink = np.isnan(eigenvalues[:, 0])
    if kink.any():
        # No curvature to read: compare f with a tiny ring of points around it.
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        radius = 1e-6 * surface.spans.min()
        ring = surface.formula.value(
            x[kink, None] + radius * np.cos(angles), y[kink, None] + radius * np.sin(angles)
        )
        centre = z[kink, None]
        lower, higher = np.any(ring < centre, axis=1), np.any(ring > centre, axis=1)
        kinds[kink] = np.where(lower, np.where(higher, SADDLE, MAXIMUM), CONVERGED)
    return kinds


def _near_stationary_point(surface: Surface, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether a stationary point lies within AT_REST of each point (Newton's method on ∇f)."""
    formula = surface.formula
    px, py = x.copy(), y.copy()
    settled = np.zeros(len(x), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(10):
            _, gx, gy = formula.value_and_gradient(px, py)
            hxx, hxy, hyy = formula.hessian(px, py)
            det = hxx * hyy - hxy * hxy
            step_x = np.where((gx == 0) & (gy == 0), 0.0, (hyy * gx - hxy * gy) / det)
            step_y = np.where((gx == 0) & (gy == 0), 0.0, (hxx * gy - hxy * gx) / det)
            px, py = px - step_x, py - step_y
            # Quadratic convergence: from within AT_REST, the steps reach rounding at once.
            settled = np.hypot(step_x, step_y) <= 1e-12 * np.maximum(1.0, np.hypot(px, py))
    return settled & (np.hypot(px - x, py - y) <= AT_REST)


def _bouncing_or_crawling(window: np.ndarray) -> np.ndarray:
    """oscillating / crawling from the last points of runs that ran out of steps.

    ``window`` is (points, FIELDS, runs): x, y, z, … of the last WINDOW + 1 points.
    """
    steps = np.diff(window[:, :2, :], axis=0)  # (W, 2, runs)
    turns = np.einsum("tcr,tcr->tr", steps[1:], steps[:-1])  # d_t · d_{t-1}
    pairs = len(turns)
    bouncing = (2 * np.sum(turns < 0, axis=0) >= pairs) & (pairs > 0)
    z = window[:, 2, :]
    rises = np.sum(np.diff(z, axis=0) > 0, axis=0)
    downhill = (4 * rises <= len(steps)) & (z[-1] <= z[0])
    return np.where(~bouncing & downhill, CRAWLING, OSCILLATING).astype(object)


def judge(
    surface: Surface, status: str, finals: np.ndarray, window: np.ndarray | None, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Verdicts and Hessian eigenvalues of runs that ended with one ``status``.

    ``finals`` is (runs, FIELDS): each run's final point. ``window`` (points,
    FIELDS, runs) holds the last WINDOW + 1 points of runs that ran out of steps.
    """
    count = len(finals)
    if status == DIVERGED:
        return np.full(count, DIVERGED, dtype=object), np.full((count, 2), np.nan)
    x, y, z = finals[:, 0], finals[:, 1], finals[:, 2]
    eigenvalues = hessian_eigenvalues(surface, x, y)
    kinds = _stationary_kind(surface, x, y, z, eigenvalues)
    if status == CONVERGED:
        return kinds, eigenvalues
    stopped = np.zeros(count, dtype=bool)
    at_rest = np.zeros(count, dtype=bool)
    if tolerance == 0 and len(window) > 1:
        at_rest = np.hypot(*(window[-1, :2, :] - window[-2, :2, :])) <= AT_REST
    if at_rest.any():
        stopped[at_rest] = _near_stationary_point(surface, x[at_rest], y[at_rest])
    verdicts = _bouncing_or_crawling(window)
    verdicts[stopped] = kinds[stopped]
    return verdicts, eigenvalues


def _is_a_dip(surface: Surface, points: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether f rises, beyond rounding, all round each point (a ring a thousandth of the
    domain's span wide): far out on Easom's plain f is 0 to the last digit, and Newton's
    method "converges" anywhere there."""
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    radius = 1e-3 * surface.spans.min()
    ring = surface.formula.value(
        points[:, :1] + radius * np.cos(angles), points[:, 1:] + radius * np.sin(angles)
    )
    rise = 1e-12 * np.maximum(1.0, np.abs(values))
    return np.all(ring - values[:, None] > rise[:, None], axis=1)


def _as_json(minimum: Minimum, distance: float) -> dict:
    return {**minimum.as_json(), "distance": distance}


def nearest_minima(surface: Surface, points: np.ndarray, settled: np.ndarray) -> list[dict | None]:
    """The minimum each final point (runs, 2) reached or is nearest to.

    A listed minimum within REACHED of the domain's span is the one reached.
    Otherwise, for a run that ``settled`` in a basin (converged, or oscillating in
    it), the point is polished downhill by Newton's method on the symbolic
    Hessian; the minimum found there is named when it is no farther than the
    nearest listed one (the dip a hiker sits in rather than a far-off listed one,
    for a formula whose search listed fewer). It is global when its value is the
    lowest known, within a relative 1e-9. Other runs (crawling on their way, or
    stopped at a saddle or maximum) are told the nearest listed minimum.
    """
    minima = surface.minima
    count = len(points)
    nearest: list[dict | None] = [None] * count
    if minima:
        centres = np.array([[m.x, m.y] for m in minima])
        index, distance = np.zeros(count, dtype=int), np.full(count, np.inf)
        reach = np.full(count, np.inf)
        for i, centre in enumerate(centres):  # a loop over minima keeps memory small
            offset = points - centre
            d = np.hypot(offset[:, 0], offset[:, 1])
            closer = d < distance
            index[closer], distance[closer] = i, d[closer]
            reach[closer] = np.hypot(*(offset[closer] / surface.spans).T)
        for run in range(count):
            nearest[run] = _as_json(minima[index[run]], float(distance[run]))
        unsure = np.flatnonzero((reach > REACHED) & settled)
    else:
        distance = np.full(count, np.inf)
        unsure = np.flatnonzero(settled)
    if unsure.size:
        polished, is_minimum = polish_minima(surface.formula, points[unsure], surface.spans)
        values = surface.formula.value(polished[:, 0], polished[:, 1])
        is_minimum &= np.isfinite(values)
        is_minimum[is_minimum] &= _is_a_dip(surface, polished[is_minimum], values[is_minimum])
        lowest = min((m.z for m in minima), default=np.inf)
        for k, run in enumerate(unsure.tolist()):
            d = float(np.hypot(*(polished[k] - points[run])))
            if is_minimum[k] and d <= distance[run]:
                z = float(values[k])
                is_global = bool(z - lowest <= 1e-9 * max(1.0, abs(lowest))) if minima else True
                found = Minimum(float(polished[k, 0]), float(polished[k, 1]), z, is_global)
                nearest[run] = _as_json(found, d)
    return nearest
