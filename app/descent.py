"""Hikers on a surface: many optimizer runs computed as one batch.

``Descent.chunks`` is the one loop: a generator that advances every run together
(one ``(2, runs)`` array) and yields ``Chunk``s of consecutive points as it goes.
The batch endpoint collects the chunks, the stream endpoint forwards them as
they come, and ``basins`` runs a whole grid of starts through the same loop.

Path entry i of a run is the point after i optimizer steps, with f and ∇f there.
A run ends
- ``converged`` at the first point where |∇f| ≤ tolerance (tolerance > 0),
- ``diverged`` when f, ∇f or the position stops being finite or the position
  leaves the divergence box; its path ends at its last good point,
- ``max_steps`` after max_steps steps otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import optim
from app.surfaces import Minimum, Surface

CONVERGED, DIVERGED, MAX_STEPS, WALKING = "converged", "diverged", "max_steps", "walking"

# Columns of a recorded point.
FIELDS = ("x", "y", "z", "grad_x", "grad_y")


OptimizerChoice = tuple[str, dict[str, Any]]  # (name, resolved hyperparameters)


@dataclass
class Chunk:
    """Consecutive points of every run: steps ``from_step`` … ``from_step + len(points) - 1``.

    ``points[t, :, r]`` is run r's point at step from_step + t (the FIELDS); run r
    has ``counts[r]`` recorded points here (0 once it has ended). ``ended``
    lists the runs that ended within this chunk. ``points`` is None when the
    descent does not record paths (basins).
    """

    from_step: int
    points: np.ndarray | None
    counts: np.ndarray
    ended: list[int]


class Descent:
    """A batch of runs on one surface; ``chunks()`` computes them.

    ``optimizers`` is one (name, hyperparameters) per start, or a single pair
    shared by all. After (or while) iterating, ``status``, ``steps`` and
    ``final`` (the last good point of each run, as FIELDS) describe every run.
    """

    def __init__(
        self,
        surface: Surface,
        starts: np.ndarray,
        optimizers: list[OptimizerChoice] | OptimizerChoice,
        max_steps: int,
        tolerance: float,
        gradient_noise: float = 0.0,
        seed: int = 0,
    ):
        self.surface = surface
        self.max_steps = max_steps
        self.tolerance = tolerance
        self.noise = gradient_noise
        self.rng = np.random.default_rng(seed)
        self.count = count = len(starts)
        # Row 0 holds every hiker's x, row 1 every y: contiguous rows are fast.
        self.positions = np.array(starts, dtype=float).reshape(count, 2).T.copy()
        self.status = np.full(count, WALKING, dtype=object)
        self.steps = np.zeros(count, dtype=np.int64)
        self.final = np.full((count, len(FIELDS)), np.nan)
        # While chunks() runs: the run in each live column (basins drop the columns
        # of ended runs), which columns still walk, the previous point (where a
        # diverging run's path ends) and the runs ended in the current chunk.
        self._runs = np.arange(count)
        self._active = np.ones(count, dtype=bool)
        self._previous: tuple = ()
        self._ended: list[int] = []
        if isinstance(optimizers, tuple):
            name, hyper = optimizers
            self._groups = [(None, self.positions, optim.Optimizer(name, hyper, [self.positions]))]
        else:
            self._groups = self._group_optimizers(optimizers)

    def _group_optimizers(self, optimizers: list[OptimizerChoice]) -> list:
        """Runs whose optimizers agree on every switch are stepped as one array,
        with per-run hyperparameters as (1, runs) rows."""
        groups: dict[tuple, list[int]] = {}
        for index, (name, hyper) in enumerate(optimizers):
            groups.setdefault(optim.batch_key(name, hyper), []).append(index)
        result = []
        for indices in groups.values():
            name = optimizers[indices[0]][0]
            hyper = optim.stack_hyperparameters([optimizers[i][1] for i in indices])
            if len(indices) == self.count:  # the usual case: update positions in place
                result.append(
                    (None, self.positions, optim.Optimizer(name, hyper, [self.positions]))
                )
            else:
                params = self.positions[:, indices]
                result.append((np.array(indices), params, optim.Optimizer(name, hyper, [params])))
        return result

    def _step(self, gradients: np.ndarray) -> None:
        """One optimizer step for every live column."""
        if self.noise:
            gradients += self.noise * self.rng.standard_normal(gradients.shape)
        for indices, params, optimizer in self._groups:
            if indices is None:
                optimizer.step([params], [gradients])
            else:
                optimizer.step([params], [gradients[:, indices]])
                self.positions[:, indices] = params

    def _end(self, mask: np.ndarray, status: str, steps: int, point: tuple) -> None:
        """End the live columns in ``mask``; ``point`` (FIELDS arrays) holds their finals."""
        runs = self._runs[mask]
        self.status[runs] = status
        self.steps[runs] = steps
        self.final[runs] = np.stack([values[mask] for values in point], axis=1)
        self._ended.extend(runs.tolist())

    def _visit(self, step: int, chunk: Chunk, row: int) -> None:
        """Evaluate every live hiker after ``step`` steps, record it, end the runs that stop."""
        x, y = self.positions
        z, grad_x, grad_y = self.surface.formula.raw_value_and_gradient(x, y)
        point = (x.copy(), y.copy(), z, grad_x, grad_y)
        if chunk.points is not None:  # recording hikers are never compacted: column r is run r
            chunk.points[row] = point
        active = self._active
        # Diverged: f or ∇f not finite, or outside the box (NaN positions too). The
        # path ends at the previous point.
        good = self.surface.in_divergence_box(x, y)
        good &= np.isfinite(z) & np.isfinite(grad_x) & np.isfinite(grad_y)
        diverged = active & ~good
        if diverged.any():
            active &= good
            chunk.counts[self._runs[diverged]] = row
            if step == 0:  # a start that is not finite: no point to show
                self._end(diverged, DIVERGED, 0, (np.full(len(x), np.nan),) * len(FIELDS))
            else:
                self._end(diverged, DIVERGED, step - 1, self._previous)
        if self.tolerance > 0:
            converged = active & (np.hypot(grad_x, grad_y) <= self.tolerance)
            if converged.any():
                active &= ~converged
                chunk.counts[self._runs[converged]] = row + 1
                self._end(converged, CONVERGED, step, point)
        if step == self.max_steps and active.any():
            chunk.counts[self._runs[active]] = row + 1
            self._end(active.copy(), MAX_STEPS, step, point)
            active[:] = False
        self._previous = point

    def _compact(self) -> None:
        """Drop the columns of ended hikers so later steps skip them.

        Only for basins: they record no paths, use one optimizer group, and have no
        noise (dropping columns would change the other hikers' draws).
        """
        keep = np.flatnonzero(self._active)
        self.positions = self.positions[:, keep]
        ((_, _, optimizer),) = self._groups
        optimizer.select_columns(keep)
        self._groups = [(None, self.positions, optimizer)]
        self._runs, self._active = self._runs[keep], self._active[keep]
        self._previous = tuple(values[keep] for values in self._previous)

    def chunks(
        self,
        record: bool = True,
        first_chunk_steps: int = 16,
        chunk_seconds: float = 0.05,
        max_chunk_steps: int = 4096,
    ) -> Iterator[Chunk]:
        """Advance every run together, yielding chunks of points as they are computed.

        The first chunk is small so a streaming client sees the hikers move at
        once; later ones hold about ``chunk_seconds`` of computation. Chunking
        never changes the numbers, only when they are handed out.
        """
        compact = not record and len(self._groups) == 1 and not self.noise
        step, limit = 0, first_chunk_steps
        while self._active.any():
            rows = min(limit, self.max_steps - step + 1)
            points = np.empty((rows, len(FIELDS), self.count)) if record else None
            counts = np.zeros(self.count, dtype=np.int64)
            counts[self._runs[self._active]] = rows  # until they end
            chunk = Chunk(step, points, counts, [])
            self._ended = chunk.ended
            started = time.perf_counter()
            with np.errstate(all="ignore"):  # non-finite values are expected here
                for row in range(rows):
                    self._visit(step, chunk, row)
                    if not self._active.any():
                        break
                    if compact and 2 * self._active.sum() < len(self._active):
                        self._compact()
                    self._step(np.stack([self._previous[3], self._previous[4]]))
                    step += 1
                    if (
                        row + 1 >= first_chunk_steps
                        and time.perf_counter() - started > chunk_seconds
                    ):
                        break
            recorded = row + 1
            if record:
                chunk.points = points[:recorded]
            np.minimum(counts, recorded, out=counts)
            chunk.ended.sort()
            yield chunk
            limit = max_chunk_steps


class Paths:
    """Gathers the chunks of a descent into each run's whole path."""

    def __init__(self, count: int):
        self._pieces: list[list[np.ndarray]] = [[] for _ in range(count)]

    def add(self, chunk: Chunk) -> None:
        for run, count in enumerate(chunk.counts.tolist()):
            if count:
                self._pieces[run].append(chunk.points[:count, :, run])

    def arrays(self) -> list[np.ndarray]:
        """Each run's path as a (points, 5) array of FIELDS."""
        return [np.concatenate(p) if p else np.empty((0, len(FIELDS))) for p in self._pieces]


def collect(descent: Descent) -> list[np.ndarray]:
    """Run a descent to the end in one go; each run's whole path (see Paths)."""
    paths = Paths(descent.count)
    for chunk in descent.chunks(chunk_seconds=float("inf")):
        paths.add(chunk)
    return paths.arrays()


def nearest_minimum(minima: tuple[Minimum, ...], x: float, y: float) -> dict | None:
    if not minima:
        return None
    distances = [float(np.hypot(m.x - x, m.y - y)) for m in minima]
    index = int(np.argmin(distances))
    return {**minima[index].as_json(), "distance": distances[index]}


@dataclass
class BasinMap:
    x: np.ndarray
    y: np.ndarray
    minimum: np.ndarray  # (rows y, columns x): index into the surface's minima, or -1
    steps: np.ndarray
    final_z: np.ndarray  # NaN where a start itself was not finite
    status: np.ndarray


def basin_descent(
    surface: Surface,
    optimizer: str,
    hyperparameters: dict[str, Any],
    resolution: int,
    max_steps: int,
    tolerance: float,
) -> Descent:
    """One run from every point of a resolution × resolution grid (rows are y)."""
    xs, ys = surface.grid(resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    starts = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    return Descent(surface, starts, (optimizer, hyperparameters), max_steps, tolerance)


def basin_map(descent: Descent, resolution: int) -> BasinMap:
    """Which minimum each start of a finished basin descent reached.

    A run counts for a minimum when it converged within 1% of the domain's span
    of it (distances measured in spans, per axis).
    """
    surface = descent.surface
    minimum = np.full(descent.count, -1)
    if surface.minima:
        centres = np.array([[m.x, m.y] for m in surface.minima])
        offsets = (descent.final[:, None, :2] - centres[None, :, :]) / surface.spans
        distance = np.hypot(offsets[..., 0], offsets[..., 1])
        nearest = np.argmin(np.where(np.isnan(distance), np.inf, distance), axis=1)
        close = distance[np.arange(descent.count), nearest] <= 0.01
        minimum = np.where((descent.status == CONVERGED) & close, nearest, -1)
    xs, ys = surface.grid(resolution)
    shape = (resolution, resolution)
    return BasinMap(
        x=xs,
        y=ys,
        minimum=minimum.reshape(shape),
        steps=descent.steps.reshape(shape),
        final_z=descent.final[:, 2].reshape(shape),
        status=descent.status.reshape(shape),
    )


def basins(
    surface: Surface,
    optimizer: str,
    hyperparameters: dict[str, Any],
    resolution: int,
    max_steps: int,
    tolerance: float,
) -> BasinMap:
    """A basin map computed in one go (the API computes it in turns instead)."""
    descent = basin_descent(surface, optimizer, hyperparameters, resolution, max_steps, tolerance)
    for _ in descent.chunks(record=False, chunk_seconds=float("inf")):
        pass
    return basin_map(descent, resolution)
