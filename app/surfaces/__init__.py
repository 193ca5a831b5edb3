"""Cost surfaces: a compiled formula on a domain, with its minima.

``from_catalogue("himmelblau")`` and ``from_formula("x**2 + y**2", ...)`` both
give a ``Surface``; everything downstream (mesh, descent, basins) takes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from app import limits
from app.surfaces.catalogue import CATALOGUE, CatalogueEntry, Minimum
from app.surfaces.formula import Formula, FormulaError, FormulaTooComplex, compile_formula

__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
    "Formula",
    "FormulaError",
    "FormulaTooComplex",
    "Minimum",
    "Surface",
    "compile_formula",
    "from_catalogue",
    "from_formula",
    "on_domain",
]


# A bound of |f| and |∇f| below this is far enough from the largest float (1.8e308) that
# neither the rounding of the bound nor that of numpy's evaluation can cross it.
SURELY_FINITE = 1e300


@dataclass(frozen=True)
class Surface:
    formula: Formula
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: tuple[Minimum, ...]

    @property
    def spans(self) -> np.ndarray:
        return np.array([self.x_range[1] - self.x_range[0], self.y_range[1] - self.y_range[0]])

    @cached_property
    def divergence_box(self) -> tuple[float, float, float, float]:
        """(x_lo, x_hi, y_lo, y_hi): centred on the domain, each side
        DIVERGENCE_BOX_SPANS domain spans long."""
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        half_x = (x_hi - x_lo) * limits.DIVERGENCE_BOX_SPANS / 2
        half_y = (y_hi - y_lo) * limits.DIVERGENCE_BOX_SPANS / 2
        centre_x, centre_y = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
        return centre_x - half_x, centre_x + half_x, centre_y - half_y, centre_y + half_y

    @cached_property
    def finite_in_divergence_box(self) -> bool:
        """Whether f and ∇f are sure to be finite wherever x and y are finite and inside
        the divergence box (a bound of them there far from overflowing: see
        ``Formula.bound``), so a descent need not look at them to know."""
        x_lo, x_hi, y_lo, y_hi = self.divergence_box
        return self.formula.bound((x_lo, x_hi), (y_lo, y_hi)) < SURELY_FINITE

    def in_divergence_box(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True where (x, y) is inside the divergence box; NaN is outside."""
        x_lo, x_hi, y_lo, y_hi = self.divergence_box
        inside = x >= x_lo
        inside &= x <= x_hi
        inside &= y >= y_lo
        inside &= y <= y_hi
        return inside

    def grid(self, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """``resolution`` evenly spaced x and y values covering the domain."""
        return (
            np.linspace(*self.x_range, resolution),
            np.linspace(*self.y_range, resolution),
        )


_built: dict[str, Surface] = {}  # catalogue surfaces already compiled, by name


def from_catalogue(name: str) -> Surface:
    surface = _built.get(name)
    if surface is None:
        entry = CATALOGUE[name]
        formula = compile_formula(entry.formula)
        surface = _built[name] = Surface(formula, entry.x_range, entry.y_range, entry.minima)
    return surface


def built_catalogue_surface(name: str) -> Surface | None:
    """The catalogue surface if it is compiled already (then free to use on the event loop)."""
    return _built.get(name)


def warm_catalogue() -> None:
    """Compile every catalogue formula now (each is cached once compiled)."""
    for name in CATALOGUE:
        from_catalogue(name)


def from_formula(text: str, x_range: tuple[float, float], y_range: tuple[float, float]) -> Surface:
    """A formula compiled in this process (trusted text: the catalogue's, tests') on a
    domain; the API compiles users' formulas with a budget (app/surfaces/compiler.py)."""
    return on_domain(compile_formula(text), x_range, y_range)


@lru_cache(maxsize=128)
def on_domain(
    formula: Formula, x_range: tuple[float, float], y_range: tuple[float, float]
) -> Surface:
    """A compiled formula on a domain; its minima are found numerically.

    FormulaError if f is not a real number anywhere on the domain's grid (acos(x + 10)
    on [-3, 3]²): there would be nothing to plot and nowhere to start.
    """
    xs, ys = np.linspace(*x_range, 121), np.linspace(*y_range, 121)
    if not np.isfinite(formula.value(*np.meshgrid(xs, ys))).any():
        raise FormulaError(
            f"f is not a real number anywhere on x ∈ [{x_range[0]:g}, {x_range[1]:g}], "
            f"y ∈ [{y_range[0]:g}, {y_range[1]:g}]"
        )
    return Surface(formula, x_range, y_range, find_minima(formula, x_range, y_range))


# A dip shallower than this share of f's range over the domain is no minimum a
# learner could see: Easom's far plain, where exp(-r²) fades towards 0, ripples
# with dips of 1e-12.
SHALLOWEST_DIP = 1e-9


def find_minima(
    formula: Formula,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    resolution: int = 121,
    max_minima: int | None = 128,
) -> tuple[Minimum, ...]:
    """Local minima inside the domain: the grid's lowest cells, polished by Newton's method.

    Candidates are grid points below their eight neighbours (by more than
    SHALLOWEST_DIP of f's range); each is refined by damped Newton steps (all
    candidates at once) and kept only if it converged to a point with a positive
    semi-definite Hessian inside the domain. At most ``max_minima`` (None: all),
    lowest first; the lowest are marked global (within a relative 1e-9 of the
    lowest value). The catalogue's lists come from this search at resolution 801
    with no cap (tests/test_catalogue.py checks them).
    """
    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = formula.value(grid_x, grid_y)
    z = np.where(np.isfinite(z), z, np.inf)
    centre = z[1:-1, 1:-1]
    is_candidate = np.isfinite(centre)
    highest_neighbour = np.full_like(centre, -np.inf)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                neighbour = z[1 + dy : resolution - 1 + dy, 1 + dx : resolution - 1 + dx]
                # Of two equal neighbouring cells only the first counts, so a flat
                # plateau yields no candidates.
                is_candidate &= centre < neighbour if (dy, dx) < (0, 0) else centre <= neighbour
                highest_neighbour = np.maximum(highest_neighbour, neighbour)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return ()
    with np.errstate(invalid="ignore"):
        is_candidate &= highest_neighbour - centre > SHALLOWEST_DIP * (finite.max() - finite.min())
    rows, cols = np.nonzero(is_candidate)
    if rows.size == 0:
        return ()
    order = np.argsort(centre[rows, cols])
    if max_minima is not None:
        order = order[: 4 * max_minima]
    points = np.stack([xs[cols[order] + 1], ys[rows[order] + 1]], axis=1)
    spans = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]])
    points, converged = polish_minima(formula, points, spans)
    low, high = np.array([x_range[0], y_range[0]]), np.array([x_range[1], y_range[1]])
    inside = np.all((points >= low) & (points <= high), axis=1)
    values = formula.value(points[:, 0], points[:, 1])
    keep = converged & inside & np.isfinite(values)
    points, values = points[keep], values[keep]
    kept: list[int] = []
    for index in np.argsort(values, kind="stable"):
        # Candidates that polished to the same point count once.
        if kept and np.any(np.hypot(*((points[kept] - points[index]) / spans).T) < 1e-3):
            continue
        kept.append(int(index))
        if max_minima is not None and len(kept) == max_minima:
            break
    if not kept:
        return ()
    lowest = float(values[kept[0]])
    return tuple(
        Minimum(float(x), float(y), float(z), bool(z - lowest <= 1e-9 * max(1.0, abs(lowest))))
        for (x, y), z in zip(points[kept], values[kept], strict=True)
    )


@np.errstate(all="ignore")  # NaN where f is not real, overflow far out: no warnings
def polish_minima(formula: Formula, points: np.ndarray, spans: np.ndarray, steps: int = 100):
    """Damped Newton steps from many points at once, downhill to a minimum each.

    Returns (points, is_minimum): is_minimum where a point converged to a local
    minimum (used by find_minima and to name the minimum a hiker reached); a point
    where f is not real never gets better.
    """
    hessian = formula.hessian
    value, gx, gy = formula.value_and_gradient(points[:, 0], points[:, 1])
    damping = np.ones(len(points))
    converged = np.zeros(len(points), dtype=bool)
    for _ in range(steps):
        hxx, hxy, hyy = hessian(points[:, 0], points[:, 1])
        det = hxx * hyy - hxy * hxy
        positive = (hxx > 0) & (det > 0)
        # Newton's step where the Hessian is positive definite, else a gradient step.
        newton = np.stack([(hyy * gx - hxy * gy) / det, (hxx * gy - hxy * gx) / det], axis=1)
        scale = 1e-3 * spans.min() / (1 + np.hypot(gx, gy))
        gradient = np.stack([gx, gy], axis=1) * scale[:, None]
        step = np.where(positive[:, None], newton, gradient) * damping[:, None]
        trial = points - step
        trial_value, tgx, tgy = formula.value_and_gradient(trial[:, 0], trial[:, 1])
        better = np.isfinite(trial_value) & (trial_value <= value)
        small = np.all(np.abs(step) <= 1e-9 * spans, axis=1)
        converged = (positive | (np.hypot(gx, gy) == 0)) & (small | (np.hypot(gx, gy) == 0))
        points = np.where(better[:, None], trial, points)
        value = np.where(better, trial_value, value)
        gx, gy = np.where(better, tgx, gx), np.where(better, tgy, gy)
        damping = np.where(better, np.minimum(damping * 2, 1.0), damping / 4)
        if converged.all():
            break
    hxx, hxy, hyy = hessian(points[:, 0], points[:, 1])
    semi_definite = (hxx >= 0) & (hyy >= 0) & (hxx * hyy - hxy * hxy >= -1e-12 * (hxx + hyy) ** 2)
    scale = 1e-6 * (1 + np.abs(value)) / spans.min()
    smooth_minimum = semi_definite & (converged | (np.hypot(gx, gy) <= scale))
    # A kink (Ackley's centre, abs(x)) has no gradient there: a minimum if no
    # point on a tiny circle around it is lower.
    kink = ~(np.isfinite(gx) & np.isfinite(gy)) & np.isfinite(value)
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    radius = 1e-7 * spans.min()
    ring = formula.value(
        points[:, :1] + radius * np.cos(angles), points[:, 1:] + radius * np.sin(angles)
    )
    kink_minimum = kink & np.all(ring >= value[:, None], axis=1)
    return points, smooth_minimum | kink_minimum
