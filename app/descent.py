"""Hikers on a surface: many optimizer runs computed as one batch.

``Descent.chunks`` is the one loop: a generator that advances every run together
(one ``(runs, 2)`` array) and yields ``Chunk``s of consecutive points as it goes.
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


@dataclass(frozen=True)
class Run:
    optimizer: str
    hyperparameters: dict[str, Any]
    start: tuple[float, float]
    label: str = ""


@dataclass
class Chunk:
    """Consecutive points of every run: steps ``from_step`` … ``from_step + len(points) - 1``.

    ``points[t, r]`` is run r's point at step from_step + t (the FIELDS); run r
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

    After (or while) iterating, ``status``, ``steps`` and ``final`` (the last
    good point of each run, as FIELDS) describe every run.
    """

    def __init__(
        self,
        surface: Surface,
        runs: list[Run],
        max_steps: int,
        tolerance: float,
        gradient_noise: float = 0.0,
        seed: int = 0,
    ):
        self.surface = surface
        self.runs = runs
        self.max_steps = max_steps
        self.tolerance = tolerance
        self.noise = gradient_noise
        self.rng = np.random.default_rng(seed)
        count = len(runs)
        self.positions = np.array([run.start for run in runs], dtype=float)
        self.status = np.full(count, WALKING, dtype=object)
        self.steps = np.zeros(count, dtype=np.int64)
        self.final = np.full((count, len(FIELDS)), np.nan)
        self._groups = self._group_optimizers()

    def _group_optimizers(self) -> list[tuple[np.ndarray | None, np.ndarray, optim.Optimizer]]:
        """Runs whose optimizers agree on every switch are stepped as one array,
        with per-run hyperparameters as (runs, 1) columns."""
        groups: dict[tuple, list[int]] = {}
        keys: dict[int, tuple] = {}  # basins share one hyperparameter dict among many runs
        for index, run in enumerate(self.runs):
            key = keys.get(id(run.hyperparameters))
            if key is None:
                key = keys[id(run.hyperparameters)] = optim.batch_key(
                    run.optimizer, run.hyperparameters
                )
            groups.setdefault(key, []).append(index)
        result = []
        for indices in groups.values():
            name = self.runs[indices[0]].optimizer
            hyper = optim.stack_hyperparameters([self.runs[i].hyperparameters for i in indices])
            if len(indices) == len(self.runs):  # the usual case: update positions in place
                result.append(
                    (None, self.positions, optim.Optimizer(name, hyper, [self.positions]))
                )
            else:
                params = self.positions[indices]
                result.append((np.array(indices), params, optim.Optimizer(name, hyper, [params])))
        return result

    def _evaluate(self) -> np.ndarray:
        """(runs, 5): x, y, f, ∂f/∂x, ∂f/∂y at every hiker's position."""
        x, y = self.positions[:, 0], self.positions[:, 1]
        z, gx, gy = self.surface.formula.value_and_gradient(x, y)
        return np.stack([x, y, z, gx, gy], axis=1)

    def _step(self, gradients: np.ndarray) -> None:
        """One optimizer step for every run (ended ones too: cheaper than masking)."""
        if self.noise:
            gradients = gradients + self.noise * self.rng.standard_normal(gradients.shape)
        for indices, params, optimizer in self._groups:
            if indices is None:
                optimizer.step([params], [gradients])
            else:
                optimizer.step([params], [gradients[indices]])
                self.positions[indices] = params

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
        count = len(self.runs)
        active = np.ones(count, dtype=bool)
        nothing = np.zeros(count, dtype=bool)
        step, chunk_limit = 0, first_chunk_steps
        while active.any():
            from_step, started = step, time.perf_counter()
            rows = min(chunk_limit, self.max_steps - step + 1)
            buffer = np.empty((rows, count, len(FIELDS))) if record else None
            counts = np.zeros(count, dtype=np.int64)
            ended: list[int] = []
            row = 0
            while row < rows:
                points = self._evaluate()
                good = np.all(np.isfinite(points), axis=1)
                good &= self.surface.in_divergence_box(points[:, :2])
                diverged = active & ~good
                active &= good
                if record:
                    buffer[row] = points
                counts[active] += 1
                self.final[active] = points[active]
                if self.tolerance > 0:
                    converged = active & (np.hypot(points[:, 3], points[:, 4]) <= self.tolerance)
                else:
                    converged = nothing
                active &= ~converged
                out_of_steps = active.copy() if step == self.max_steps else nothing
                active &= ~out_of_steps
                for mask, status, steps in (
                    (diverged, DIVERGED, max(step - 1, 0)),
                    (converged, CONVERGED, step),
                    (out_of_steps, MAX_STEPS, step),
                ):
                    if mask.any():
                        self.status[mask] = status
                        self.steps[mask] = steps
                        ended.extend(np.flatnonzero(mask).tolist())
                row += 1
                if not active.any():
                    break
                self._step(points[:, 3:])
                step += 1
                if row >= first_chunk_steps and time.perf_counter() - started > chunk_seconds:
                    break
            yield Chunk(from_step, buffer[:row] if record else None, counts, sorted(ended))
            chunk_limit = max_chunk_steps


def nearest_minimum(minima: tuple[Minimum, ...], x: float, y: float) -> dict | None:
    if not minima:
        return None
    distances = [float(np.hypot(m.x - x, m.y - y)) for m in minima]
    index = int(np.argmin(distances))
    return {**minima[index].as_json(), "distance": distances[index]}


def collect(descent: Descent) -> list[np.ndarray]:
    """Run a descent to the end; each run's whole path as a (points, 5) array."""
    pieces: list[list[np.ndarray]] = [[] for _ in descent.runs]
    for chunk in descent.chunks(chunk_seconds=float("inf")):
        for run, count in enumerate(chunk.counts):
            if count:
                pieces[run].append(chunk.points[:count, run])
    return [np.concatenate(p) if p else np.empty((0, len(FIELDS))) for p in pieces]


@dataclass
class BasinMap:
    x: np.ndarray
    y: np.ndarray
    minimum: np.ndarray  # (rows y, columns x): index into the surface's minima, or -1
    steps: np.ndarray
    final_z: np.ndarray  # NaN where a start itself was not finite
    status: np.ndarray


def basins(
    surface: Surface,
    optimizer: str,
    hyperparameters: dict[str, Any],
    resolution: int,
    max_steps: int,
    tolerance: float,
) -> BasinMap:
    """Start a run at every point of a resolution × resolution grid, all at once.

    A run counts for a minimum when it converged within 1% of the domain's span
    of it (distances measured in spans, per axis).
    """
    xs, ys = surface.grid(resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    runs = [
        Run(optimizer, hyperparameters, start)
        for start in zip(grid_x.ravel().tolist(), grid_y.ravel().tolist(), strict=True)
    ]
    descent = Descent(surface, runs, max_steps, tolerance)
    for _ in descent.chunks(
        record=False, chunk_seconds=float("inf"), max_chunk_steps=max_steps + 1
    ):
        pass
    minimum = np.full(len(runs), -1)
    if surface.minima:
        centres = np.array([[m.x, m.y] for m in surface.minima])
        offsets = (descent.final[:, None, :2] - centres[None, :, :]) / surface.spans
        distance = np.hypot(offsets[..., 0], offsets[..., 1])
        nearest = np.argmin(np.where(np.isnan(distance), np.inf, distance), axis=1)
        close = distance[np.arange(len(runs)), nearest] <= 0.01
        counts = (descent.status == CONVERGED) & close
        minimum = np.where(counts, nearest, -1)
    shape = (resolution, resolution)
    return BasinMap(
        x=xs,
        y=ys,
        minimum=minimum.reshape(shape),
        steps=descent.steps.reshape(shape),
        final_z=descent.final[:, 2].reshape(shape),
        status=descent.status.reshape(shape),
    )
