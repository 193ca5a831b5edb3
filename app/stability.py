"""Stability maps and curvature: which step sizes work, and why (API.md, "Stability map").

A stability map runs one hiker per cell of a grid of two hyperparameters, all from
one start: the basin map's machinery with the hyperparameters varying instead of
the starts. Every cell's hyperparameters become (1, runs) rows of one optimizer
(app/optim.py), so the grid is stepped as one array; ended hikers are dropped as
they end, and every run is judged (app/verdicts.py) exactly as a single descent
with those values would be. A run judged without its path keeps only its last
few points (``Descent.chunks(record=False, judge=True)``).

Cells whose values pick different branches of the algorithm (SGD's momentum 0
and momentum > 0: torch tests ``momentum != 0``) cannot share one optimizer;
such a grid is split into one descent per branch, computed one after the other.

Curvature says why a step size works: on a quadratic, gradient descent converges
exactly when 0 < γλ < 2 for every Hessian eigenvalue λ (so below 2/L, L the
largest), and heavy-ball momentum μ when 0 < γλ < 2(1 + μ).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import optim, verdicts
from app.descent import Chunk, Descent
from app.surfaces import Surface

# A pair hyperparameter is varied one value at a time, under these names.
PAIR_AXES = {"betas": ("beta1", "beta2")}
SCALES = ("linear", "log")


def axis_names(optimizer: str) -> list[str]:
    """The hyperparameters a stability map can vary for ``optimizer``: each numeric one,
    and each value of a pair (Adam's ``betas`` as ``beta1`` and ``beta2``)."""
    names = []
    for name, spec in optim.OPTIMIZERS[optimizer].hyperparameters.items():
        if spec.kind == "number":
            names.append(name)
        elif spec.kind == "pair":
            names.extend(PAIR_AXES[name])
    return names


def field_of(axis: str) -> tuple[str, int | None]:
    """The hyperparameter an axis name sets, and the index into it for a pair."""
    for field, names in PAIR_AXES.items():
        if axis in names:
            return field, names.index(axis)
    return axis, None


def axis_values(minimum: float, maximum: float, count: int, scale: str) -> np.ndarray:
    """``count`` values from ``minimum`` to ``maximum`` (both included), evenly spaced on
    a linear or a log scale."""
    if scale == "log":
        return np.geomspace(minimum, maximum, count)
    return np.linspace(minimum, maximum, count)


class GridError(ValueError):
    """A stability grid torch would refuse somewhere; ``loc`` names the offending field
    within the request (``("x", "max")``, ``("optimizer", "lr")``)."""

    def __init__(self, loc: tuple[str, ...], message: str, value: Any = None):
        super().__init__(message)
        self.loc, self.message, self.value = loc, message, value


@dataclass(frozen=True)
class Axis:
    """One axis of the grid: the hyperparameter ``name`` takes each of ``values``."""

    label: str  # "x" or "y"
    name: str
    values: np.ndarray

    @property
    def ends(self) -> dict[str, float]:
        return {"min": float(self.values[0]), "max": float(self.values[-1])}


def with_values(optimizer: str, fixed: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """The hyperparameters ``fixed`` with the axes' ``values`` put in, replacing what
    ``fixed`` says for them (of a pair, only the axis's value: the other is kept)."""
    spec = dict(fixed)
    for axis, value in values.items():
        field, index = field_of(axis)
        if index is None:
            spec[field] = value
            continue
        pair = spec.get(field, optim.OPTIMIZERS[optimizer].hyperparameters[field].default)
        if isinstance(pair, list | tuple) and len(pair) == 2:  # else resolve refuses it
            spec[field] = [value if i == index else v for i, v in enumerate(pair)]
    return spec


def check_grid(optimizer: str, fixed: dict[str, Any], x: Axis, y: Axis) -> None:
    """Raise GridError unless torch would accept every cell's hyperparameters.

    Every constraint torch checks is a range of one value (lr ≥ 0, 0 ≤ β < 1, …) or
    Nesterov's (momentum > 0 and dampening 0), so checking each axis's ends and the
    grid's four corners checks every cell.
    """
    if optimizer not in optim.OPTIMIZERS:
        names = ", ".join(optim.OPTIMIZERS)
        raise GridError(
            ("optimizer", "optimizer"), f"unknown optimizer {optimizer!r}; choose one of {names}"
        )
    names = axis_names(optimizer)
    for axis in (x, y):
        if axis.name not in names:
            raise GridError(
                (axis.label, "name"),
                f"{optimizer} has no numeric hyperparameter {axis.name!r} to vary; "
                f"choose one of {', '.join(names)}",
                axis.name,
            )
    if x.name == y.name:
        raise GridError(("y", "name"), f"x and y both vary {x.name}; choose two", y.name)
    # A value the spec gives for an axis's hyperparameter is replaced, but checked too.
    for field in {field_of(x.name)[0], field_of(y.name)[0]} & fixed.keys():
        value = fixed[field]
        _resolve_or_raise(optimizer, {field: value}, ("optimizer", field), value)
    for axis in (x, y):
        for end, value in axis.ends.items():
            spec = with_values(optimizer, {}, {axis.name: value})
            _resolve_or_raise(optimizer, spec, (axis.label, end), value)
    for x_end, x_value in x.ends.items():
        for y_end, y_value in y.ends.items():
            spec = with_values(optimizer, fixed, {x.name: x_value, y.name: y_value})
            try:
                optim.resolve(optimizer, spec)
            except optim.OptimizerSpecError as error:
                corner = {x.name: (x.label, x_end, x_value), y.name: (y.label, y_end, y_value)}
                raise _corner_error(error, corner) from None


def _resolve_or_raise(optimizer: str, spec: dict, loc: tuple[str, ...], value: Any) -> None:
    try:
        optim.resolve(optimizer, spec)
    except optim.OptimizerSpecError as error:
        raise GridError(loc, error.message, value) from None


def _corner_error(error: optim.OptimizerSpecError, corner: dict[str, tuple]) -> GridError:
    """The axis end to blame for a corner torch refuses, or the fixed hyperparameter."""
    if error.field == "nesterov":  # momentum > 0 and dampening 0 in every cell
        for name, wrong in (("momentum", lambda v: v <= 0), ("dampening", lambda v: v != 0)):
            if name in corner and wrong(corner[name][2]):
                label, end, value = corner[name]
                message = "Nesterov momentum needs momentum > 0 and dampening 0 in every cell"
                return GridError((label, end), f"{message}; {name} is {value:g} here", value)
    return GridError(("optimizer", error.field), error.message)


def cell_hyperparameters(
    optimizer: str, fixed: dict[str, Any], x: Axis, y: Axis
) -> list[dict[str, Any]]:
    """Every cell's hyperparameters (resolved, defaults filled in), rows y then columns x:
    cell (i, j) is run i · len(x) + j. The grid must have passed ``check_grid``."""
    ends = {x.name: float(x.values[0]), y.name: float(y.values[0])}
    base = optim.resolve(optimizer, with_values(optimizer, fixed, ends))
    cells = []
    for y_value in y.values.tolist():
        for x_value in x.values.tolist():
            hyper = dict(base)
            for name, value in ((x.name, x_value), (y.name, y_value)):
                field, index = field_of(name)
                if index is None:
                    hyper[field] = value
                else:
                    pair = list(hyper[field])
                    pair[index] = value
                    hyper[field] = tuple(pair)
            cells.append(hyper)
    return cells


@dataclass
class StabilityMap:
    """What became of each cell's run; arrays are (rows y, columns x)."""

    x: np.ndarray
    y: np.ndarray
    verdict: np.ndarray
    steps: np.ndarray
    final_z: np.ndarray  # NaN where the start itself is not finite


class StabilityRuns:
    """The runs of a stability map: ``chunks()`` computes them (one chunk per call, for
    the workers' turns), then ``map()`` says what became of each.

    Cells are grouped by the branch of the algorithm their values pick
    (``optim.batch_key``); each group is one Descent whose hyperparameters are (1, runs)
    rows, its ended hikers dropped as they end.
    """

    def __init__(
        self,
        surface: Surface,
        start: tuple[float, float],
        optimizer: str,
        fixed: dict[str, Any],
        x: Axis,
        y: Axis,
        max_steps: int,
        tolerance: float,
    ):
        self.x, self.y = x, y
        cells = cell_hyperparameters(optimizer, fixed, x, y)
        self.count = len(cells)
        groups: dict[tuple, list[int]] = {}
        for index, hyper in enumerate(cells):
            groups.setdefault(optim.batch_key(optimizer, hyper), []).append(index)
        self.descents = [
            (
                np.array(indices),
                Descent(
                    surface,
                    np.tile(np.asarray(start, dtype=float), (len(indices), 1)),
                    [(optimizer, cells[i]) for i in indices],
                    max_steps,
                    tolerance,
                ),
            )
            for indices in groups.values()
        ]

    def chunks(self) -> Iterator[Chunk]:
        """Advance the runs, a chunk (~50 ms of work) at a time; every run is judged."""
        for _, descent in self.descents:
            yield from descent.chunks(record=False, judge=True)

    def map(self) -> StabilityMap:
        verdict = np.full(self.count, None, dtype=object)
        steps = np.zeros(self.count, dtype=np.int64)
        final_z = np.full(self.count, np.nan)
        for indices, descent in self.descents:
            verdict[indices] = descent.verdict
            steps[indices] = descent.steps
            final_z[indices] = descent.final[:, 2]
        shape = (len(self.y.values), len(self.x.values))
        return StabilityMap(
            self.x.values,
            self.y.values,
            verdict.reshape(shape),
            steps.reshape(shape),
            final_z.reshape(shape),
        )


def stability_map(surface: Surface, start, optimizer, fixed, x, y, max_steps, tolerance):
    """A stability map computed in one go (the API computes it in turns instead)."""
    runs = StabilityRuns(surface, start, optimizer, fixed, x, y, max_steps, tolerance)
    for _ in runs.chunks():
        pass
    return runs.map()


# --- Curvature --------------------------------------------------------------------


@dataclass
class Curvature:
    """The Hessian at each of n points and what it says about step sizes.

    ``hessian`` is (n, 2, 2), NaN where not finite or where f itself is not (log(x) left
    of 0 has no curvature, whatever −1/x² says); ``eigenvalues`` (n, 2) is
    [λ_min, λ_max], NaN where the Hessian is not finite; ``condition_number`` (n,) is
    λ_max / λ_min where the Hessian is positive definite, NaN elsewhere.
    """

    hessian: np.ndarray
    eigenvalues: np.ndarray
    condition_number: np.ndarray


def curvature(surface: Surface, points: np.ndarray) -> Curvature:
    """The symbolic Hessian (the one verdicts read) at ``points`` (n, 2)."""
    x, y = points[:, 0], points[:, 1]
    hxx, hxy, hyy = surface.formula.hessian(x, y)
    hessian = np.stack([np.stack([hxx, hxy], axis=1), np.stack([hxy, hyy], axis=1)], axis=1)
    eigenvalues = verdicts.hessian_eigenvalues(surface, x, y)
    undefined = ~np.isfinite(surface.formula.value(x, y))
    hessian[undefined] = np.nan
    eigenvalues[undefined] = np.nan
    with np.errstate(all="ignore"):
        condition = np.where(eigenvalues[:, 0] > 0, eigenvalues[:, 1] / eigenvalues[:, 0], np.nan)
    condition[~np.isfinite(condition)] = np.nan
    return Curvature(hessian, eigenvalues, condition)
