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

A descent that records its paths also judges every run as it ends (its
``verdict``, the Hessian eigenvalues at its final point and the minimum it
reached, see app/verdicts.py): the loop keeps the last few recorded points of
each run across chunks, which is all a verdict needs, so a stream's verdicts are
the batch's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import optim, verdicts
from app.surfaces import Surface

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
    ``final`` (the last good point of each run, as FIELDS) describe every run;
    when paths are recorded, so do ``verdict``, ``hessian_eigenvalues`` ((runs, 2),
    NaN where unknown) and ``nearest`` (the minimum reached, as JSON, or None).
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
        self.verdict = np.full(count, None, dtype=object)
        self.hessian_eigenvalues = np.full((count, 2), np.nan)
        self.nearest: list[dict | None] = [None] * count
        # While chunks() runs: the run in each live column (basins drop the columns
        # of ended runs), which columns still walk, the previous point (where a
        # diverging run's path ends) and the runs ended in the current chunk.
        self._runs = np.arange(count)
        self._active = np.ones(count, dtype=bool)
        self._previous: tuple = ()
        self._ended: list[int] = []
        # When judging (recording): the last recorded points before the current
        # chunk, (≤ WINDOW + 1, FIELDS, runs), for runs that end early in a chunk.
        self._judging = False
        self._tail = np.empty((0, len(FIELDS), count))
        # When judging without recording (stability maps): the last WINDOW + 1 points of
        # each live column, a ring indexed by step, compacted with the columns.
        self._recent: np.ndarray | None = None
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

    def _end(
        self, mask: np.ndarray, status: str, steps: int, point: tuple, chunk: Chunk, row: int
    ) -> None:
        """End the live columns in ``mask``; ``point`` (FIELDS arrays) holds their finals.

        ``row`` is the chunk row of the current step (for a run's last points).
        """
        runs = self._runs[mask]
        self.status[runs] = status
        self.steps[runs] = steps
        self.final[runs] = np.stack([values[mask] for values in point], axis=1)
        self._ended.extend(runs.tolist())
        if self._judging:
            if status != MAX_STEPS:
                window = None
            elif self._recent is not None:
                window = self._recent_points(mask, steps)
            else:
                window = self._last_points(chunk, row, runs)
            verdict, eigenvalues = verdicts.judge(
                self.surface, status, self.final[runs], window, self.tolerance
            )
            self.verdict[runs] = verdict
            self.hessian_eigenvalues[runs] = eigenvalues
            if status != DIVERGED:
                settled = np.isin(verdict, (verdicts.CONVERGED, verdicts.OSCILLATING))
                nearest = verdicts.nearest_minima(self.surface, self.final[runs, :2], settled)
                for run, minimum in zip(runs.tolist(), nearest, strict=True):
                    self.nearest[run] = minimum

    def _last_points(self, chunk: Chunk, row: int, runs: np.ndarray) -> np.ndarray:
        """The last WINDOW + 1 recorded points of ``runs``, up to this chunk's ``row``."""
        recent = chunk.points[max(0, row - verdicts.WINDOW) : row + 1, :, runs]
        missing = verdicts.WINDOW + 1 - len(recent)
        if missing > 0 and len(self._tail):
            recent = np.concatenate([self._tail[-missing:, :, runs], recent])
        return recent

    def _recent_points(self, mask: np.ndarray, step: int) -> np.ndarray:
        """The last WINDOW + 1 points of the live columns in ``mask``, up to ``step``, from
        the ring (judging without recording)."""
        size = len(self._recent)
        order = np.arange(max(0, step + 1 - size), step + 1) % size
        return self._recent[order][:, :, mask]

    def _keep_tail(self, points: np.ndarray) -> None:
        """Remember the last WINDOW + 1 points recorded so far (after each chunk)."""
        keep = verdicts.WINDOW + 1
        if len(points) < keep:
            points = np.concatenate([self._tail, points])
        self._tail = points[-keep:].copy()

    def _visit(self, step: int, chunk: Chunk, row: int) -> None:
        """Evaluate every live hiker after ``step`` steps, record it, end the runs that stop."""
        x, y = self.positions
        z, grad_x, grad_y = self.surface.formula.raw_value_and_gradient(x, y)
        point = (x.copy(), y.copy(), z, grad_x, grad_y)
        if chunk.points is not None:  # recording hikers are never compacted: column r is run r
            chunk.points[row] = point
        elif self._recent is not None:
            self._recent[step % len(self._recent)] = point
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
                nowhere = (np.full(len(x), np.nan),) * len(FIELDS)
                self._end(diverged, DIVERGED, 0, nowhere, chunk, row)
            else:
                self._end(diverged, DIVERGED, step - 1, self._previous, chunk, row)
        if self.tolerance > 0:
            converged = active & (np.hypot(grad_x, grad_y) <= self.tolerance)
            if converged.any():
                active &= ~converged
                chunk.counts[self._runs[converged]] = row + 1
                self._end(converged, CONVERGED, step, point, chunk, row)
        if step == self.max_steps and active.any():
            chunk.counts[self._runs[active]] = row + 1
            self._end(active.copy(), MAX_STEPS, step, point, chunk, row)
            active[:] = False
        self._previous = point

    def _compact(self) -> None:
        """Drop the columns of ended hikers so later steps skip them.

        Only for grids (basins, stability maps): they record no paths, use one optimizer
        group, and have no noise (dropping columns would change the other hikers' draws).
        """
        keep = np.flatnonzero(self._active)
        self.positions = self.positions[:, keep]
        ((_, _, optimizer),) = self._groups
        optimizer.select_columns(keep)
        self._groups = [(None, self.positions, optimizer)]
        self._runs, self._active = self._runs[keep], self._active[keep]
        self._previous = tuple(values[keep] for values in self._previous)
        if self._recent is not None:
            self._recent = self._recent[:, :, keep]

    def chunks(
        self,
        record: bool = True,
        judge: bool | None = None,
        first_chunk_steps: int = 16,
        chunk_seconds: float = 0.05,
        max_chunk_steps: int = 4096,
    ) -> Iterator[Chunk]:
        """Advance every run together, yielding chunks of points as they are computed.

        The first chunk is small so a streaming client sees the hikers move at
        once; later ones hold about ``chunk_seconds`` of computation. Chunking
        never changes the numbers, only when they are handed out.

        ``judge`` (by default: when recording) gives every run its verdict; without
        recording, the loop keeps only each live hiker's last WINDOW + 1 points for it.
        """
        compact = not record and len(self._groups) == 1 and not self.noise
        self._judging = record if judge is None else judge
        if self._judging and not record:
            self._recent = np.full((verdicts.WINDOW + 1, len(FIELDS), len(self._runs)), np.nan)
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
                self._keep_tail(chunk.points)
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
    converged = descent.status == CONVERGED
    if surface.minima and converged.any():
        ends = descent.final[converged, :2] / surface.spans
        closest, nearest = np.full(len(ends), np.inf), np.full(len(ends), -1)
        # One minimum at a time: Rastrigin lists 121, a basin map has up to 65,536 runs.
        for index, m in enumerate(surface.minima):
            distance = np.hypot(*(ends - np.array([m.x, m.y]) / surface.spans).T)
            closer = distance < closest
            closest[closer], nearest[closer] = distance[closer], index
        minimum[converged] = np.where(closest <= verdicts.REACHED, nearest, -1)
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
