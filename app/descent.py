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

A hiker's step is ~50 flops, so the loop's cost is numpy's cost per call: the
steps of a block (up to ``MAX_BLOCK_ROWS``) are taken with as few calls as the
arithmetic needs, each point written straight into the block, and who ended is
read off the whole block afterwards with a handful of calls. An ended hiker's
column is stepped on to the end of its block (every column's arithmetic is its
own, so this changes nobody's numbers), and runs end at the same steps, judged in
the same groups, as when every step is checked: blocks, like chunks, change no
number.
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

# Steps taken between two looks at who ended: at most MAX_BLOCK_ROWS (a block ends
# at most that many steps late, wasted once every run has ended), and at most
# BLOCK_POINTS points (a grid of hikers not recorded keeps only a block and the points
# a verdict needs: 10,000 hikers are looked at every 8 steps, ~2% faster than every 4
# and ~7% than every one).
MAX_BLOCK_ROWS = 32
BLOCK_POINTS = 80_000

# How chunks are cut (see Descent.chunks): a small first one for a stream to show at
# once, then about CHUNK_SECONDS of computation each, at most MAX_CHUNK_STEPS steps.
FIRST_CHUNK_STEPS = 16
CHUNK_SECONDS = 0.05
MAX_CHUNK_STEPS = 4096
# A chunk whose rest would take at most this share of CHUNK_SECONDS more (at the pace so
# far) is finished at once: a descent of ~1.2 chunks (a 100×100 basin map) then ends in
# one worker turn, not two, and no turn lasts much over 1.5 × CHUNK_SECONDS.
FINISH_WITHIN = 0.5


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
        # Only noise draws from it (seeding one costs ~0.2 ms, a tenth of a small descent).
        self.rng = np.random.default_rng(seed) if gradient_noise else None
        self.count = count = len(starts)
        # Row 0 holds every hiker's x, row 1 every y: contiguous rows are fast.
        self.positions = np.array(starts, dtype=float).reshape(count, 2).T.copy()
        # f and ∇f written straight into each point (with scratch arrays of its own).
        self._evaluate = surface.formula.evaluator((count,))
        self.status = np.full(count, WALKING, dtype=object)
        self.steps = np.zeros(count, dtype=np.int64)
        self.final = np.full((count, len(FIELDS)), np.nan)
        self.verdict = np.full(count, None, dtype=object)
        self.hessian_eigenvalues = np.full((count, 2), np.nan)
        self.nearest: list[dict | None] = [None] * count
        # While chunks() runs: the run in each live column (grids drop the columns of
        # ended runs), which columns still walk and the runs ended in the current chunk.
        self._runs = np.arange(count)
        self._active = np.ones(count, dtype=bool)
        self._ended: list[int] = []
        # When recording: the last recorded points before the current chunk,
        # (≤ WINDOW + 1, FIELDS, runs), for runs that end early in a chunk.
        self._judging = False
        self._tail = np.empty((0, len(FIELDS), count))
        # When not recording (grids of hikers): the last points of each live column,
        # a ring indexed by step (the blocks are written into it), compacted with the
        # columns: WINDOW + 1 points when judging, else the block and the point before.
        self._ring: np.ndarray | None = None
        self._diverged_columns = False  # whether a live column holds a diverged run
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

    @property
    def finished(self) -> bool:
        """Whether every run has ended."""
        return not self._active.any()

    def _noisy(self, gradients: np.ndarray) -> np.ndarray:
        """The gradients an optimizer steps with: with the descent's noise, if any."""
        if self.noise:
            return gradients + self.noise * self.rng.standard_normal(gradients.shape)
        return gradients

    def _step(self, gradients: np.ndarray) -> None:
        """One optimizer step for every live column (``gradients`` is only read)."""
        gradients = self._noisy(gradients)
        for indices, params, optimizer in self._groups:
            if indices is None:
                optimizer.step_array(params, gradients)
            else:
                optimizer.step_array(params, gradients[:, indices])
                self.positions[:, indices] = params

    def _walk(self, step: int, points: np.ndarray) -> None:
        """Fill ``points`` (rows, FIELDS, columns) with every column's point after
        ``step``, ``step + 1``, … steps, taking an optimizer step after each point but
        the descent's last."""
        evaluate, positions = self._evaluate, self.positions
        last = self.max_steps - step  # the row of the descent's last point, if in this block
        (indices, _, optimizer), *others = self._groups
        if others or indices is not None:
            x, y = positions
            for row, point in enumerate(points):
                point[:2] = positions
                evaluate(x, y, point[2], point[3], point[4])
                if row != last:
                    self._step(point[3:])
            return
        # One optimizer for every column: each step writes the new positions straight
        # into the next point (and the block's last into ``positions``), not copied there.
        points[0, :2] = positions
        for row, point in enumerate(points):
            here = point[:2]
            evaluate(here[0], here[1], point[2], point[3], point[4])
            if row != last:
                after = points[row + 1, :2] if row + 1 < len(points) else positions
                optimizer.step_array(here, self._noisy(point[3:]), out=after)

    def _converged(
        self, grad_x: np.ndarray, grad_y: np.ndarray, steepest: np.ndarray | None
    ) -> np.ndarray:
        """|∇f| ≤ tolerance, for the live columns (rows of steps × columns); ``steepest``
        is max(|∂f/∂x|, |∂f/∂y|), or None when not computed. np.hypot is slow (~10 ns a
        value), so it is computed only where no component exceeds the tolerance
        (elsewhere |∇f| exceeds it too), or without ``steepest`` where |∂f/∂x| does not
        (two comparisons: few hikers have a flat ∂f/∂x and not ∂f/∂y), on a column
        still walking (a hiker that converged stays near the minimum until its column
        is dropped)."""
        tolerance = self.tolerance
        if steepest is not None:
            near = steepest <= tolerance
        else:
            near = grad_x <= tolerance
            near &= grad_x >= -tolerance
        near &= self._active
        if near.any():
            near[near] = np.hypot(grad_x[near], grad_y[near]) <= tolerance
        return near

    def _all_good(self, points: np.ndarray) -> bool:
        """Whether every point of the block is finite and inside the divergence box, read
        off a few reductions rather than checked point by point: the least and greatest
        x and y (NaN, if present, is both and fails every comparison) and the sum of f
        and ∇f, finite only if they all are (or it overflows: then the points are
        checked one by one). On a surface whose f and ∇f cannot but be finite inside the
        box (a polynomial: most of the catalogue), the sum is not needed."""
        lows = points[:, :2].min(axis=(0, 2)).tolist()
        highs = points[:, :2].max(axis=(0, 2)).tolist()
        x_lo, x_hi, y_lo, y_hi = self.surface.divergence_box
        return (
            x_lo <= lows[0]
            and highs[0] <= x_hi
            and y_lo <= lows[1]
            and highs[1] <= y_hi
            and (self.surface.finite_in_divergence_box or bool(np.isfinite(points[:, 2:].sum())))
        )

    def _settle(self, step: int, points: np.ndarray, chunk: Chunk, row: int) -> None:
        """End the live runs that stopped at one of ``points`` (the block just walked:
        steps ``step`` … and chunk rows ``row`` …), each at its first point that
        diverged (f, ∇f or the position not finite, or outside the box: its path ends at
        the point before) or converged, and every other one at the descent's last point.
        """
        last = len(points) - 1 if step + len(points) - 1 == self.max_steps else None
        # Usually no point diverged; a column that did goes on giving bad points until
        # it is dropped, so while it is there every point is checked.
        if not self._diverged_columns and self._all_good(points):
            good = None  # every point
            if self.tolerance > 0:
                stops = self._converged(points[:, 3], points[:, 4], None)
            elif last is None:
                return
            else:
                stops = np.zeros(points.shape[::2], dtype=bool)
        else:
            # The larger of |∂f/∂x| and |∂f/∂y| (NaN where either is): one comparison
            # tells whether ∇f is finite, another whether |∇f| may be within the tolerance.
            steepest = np.abs(points[:, 3])
            np.maximum(steepest, np.abs(points[:, 4]), out=steepest)
            good = steepest < np.inf
            good &= np.isfinite(points[:, 2])
            good &= self.surface.in_divergence_box(points[:, 0], points[:, 1])
            stops = ~good
            if self.tolerance > 0:
                stops |= self._converged(points[:, 3], points[:, 4], steepest)
        stopping = stops.any(axis=0)
        stopping &= self._active
        if last is None and not stopping.any():
            return
        columns = np.flatnonzero(stopping)
        first_stops = stops[:, columns].argmax(axis=0)
        # Runs that stop at the same step end together, as when every step is checked.
        for at in np.unique(first_stops).tolist():
            here = columns[first_stops == at]
            if good is None:
                diverged, converged = here[:0], here
            else:
                diverged, converged = here[~good[at, here]], here[good[at, here]]
            if diverged.size:
                if step + at == 0:  # a start that is not finite: no point to show
                    finals = np.full((diverged.size, len(FIELDS)), np.nan)
                    self._end(diverged, DIVERGED, 0, finals, chunk, row)
                else:
                    before = self._recent(diverged, step + at - 1, 1, chunk)[0].T
                    self._end(diverged, DIVERGED, step + at - 1, before, chunk, row + at)
            if converged.size:
                finals = points[at][:, converged].T
                self._end(converged, CONVERGED, step + at, finals, chunk, row + at + 1)
        if last is not None:
            walking = np.flatnonzero(self._active)
            if walking.size:
                finals = points[last][:, walking].T
                self._end(walking, MAX_STEPS, self.max_steps, finals, chunk, row + last + 1)

    def _end(
        self,
        columns: np.ndarray,
        status: str,
        steps: int,
        finals: np.ndarray,
        chunk: Chunk,
        counted: int,
    ) -> None:
        """End the live ``columns``, all after ``steps`` steps, with ``status``.

        ``finals`` (columns, FIELDS) are their final points; ``counted`` is how many of
        their points this chunk holds.
        """
        runs = self._runs[columns]
        self._active[columns] = False
        if status == DIVERGED:
            self._diverged_columns = True
        chunk.counts[runs] = counted
        self.status[runs] = status
        self.steps[runs] = steps
        self.final[runs] = finals
        self._ended.extend(runs.tolist())
        if self._judging:
            window = None
            if status == MAX_STEPS:
                window = self._recent(columns, steps, verdicts.WINDOW + 1, chunk)
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

    def _recent(self, columns: np.ndarray, last_step: int, count: int, chunk: Chunk) -> np.ndarray:
        """The points of ``columns`` after ``last_step - count + 1`` … ``last_step`` steps
        (from step 0 on), oldest first: (points, FIELDS, columns)."""
        first_step = max(0, last_step - count + 1)
        if self._ring is not None:
            steps = np.arange(first_step, last_step + 1) % len(self._ring)
            return self._ring[steps][:, :, columns]
        start, stop = first_step - chunk.from_step, last_step + 1 - chunk.from_step
        recent = chunk.points[max(0, start) : stop, :, columns]
        if start < 0:  # the first of them were recorded in earlier chunks
            recent = np.concatenate([self._tail[start:, :, columns], recent])
        return recent

    def _keep_tail(self, points: np.ndarray) -> None:
        """Remember the last WINDOW + 1 points recorded so far (after each chunk)."""
        keep = verdicts.WINDOW + 1
        if len(points) < keep:
            points = np.concatenate([self._tail, points])
        self._tail = points[-keep:].copy()

    def _compact(self) -> None:
        """Drop the columns of ended hikers so later steps skip them.

        Only for grids (basins, stability maps): they record no paths, use one optimizer
        group, and have no noise (dropping columns would change the other hikers' draws).
        """
        keep = np.flatnonzero(self._active)
        self.positions = self.positions[:, keep]
        self._evaluate = self.surface.formula.evaluator((keep.size,))
        ((_, _, optimizer),) = self._groups
        optimizer.select_columns(keep)
        self._groups = [(None, self.positions, optimizer)]
        self._runs, self._active = self._runs[keep], self._active[keep]
        self._diverged_columns = False
        self._ring = self._ring[:, :, keep]

    def _block(self, step: int, size: int, chunk: Chunk, row: int) -> np.ndarray:
        """Where the next block of at most ``size`` points goes: the chunk's rows when
        recording, else the ring's (a block never wraps round it)."""
        if self._ring is None:
            return chunk.points[row : row + size]
        at = step % len(self._ring)
        return self._ring[at : at + min(size, len(self._ring) - at)]

    def chunks(
        self,
        record: bool = True,
        judge: bool | None = None,
        first_chunk_steps: int = FIRST_CHUNK_STEPS,
        chunk_seconds: float = CHUNK_SECONDS,
        max_chunk_steps: int = MAX_CHUNK_STEPS,
    ) -> Iterator[Chunk]:
        """Advance every run together, yielding chunks of points as they are computed.

        The first chunk is small so a streaming client sees the hikers move at
        once; every chunk holds at most about ``chunk_seconds`` of computation (at
        least one block; up to 1.5 times that to end the chunk, see FINISH_WITHIN).
        Chunking never changes the numbers, only when they are handed out.

        ``judge`` (by default: when recording) gives every run its verdict; without
        recording, the loop keeps only each live hiker's last WINDOW + 1 points for it.
        """
        compact = not record and len(self._groups) == 1 and not self.noise
        self._judging = record if judge is None else judge
        block_rows = max(1, min(MAX_BLOCK_ROWS, BLOCK_POINTS // len(self._runs)))
        if not record:
            history = verdicts.WINDOW + 1 if self._judging else 1
            # Whole blocks: one that reached the ring's end would be cut in two (with
            # 10,000 hikers, blocks of 4 and 1 steps in turn: half the looks wasted).
            ring_rows = -(-(history + block_rows) // block_rows) * block_rows
            self._ring = np.empty((ring_rows, len(FIELDS), len(self._runs)))
        step, limit = 0, first_chunk_steps
        while self._active.any():
            rows = min(limit, self.max_steps - step + 1)
            points = np.empty((rows, len(FIELDS), self.count)) if record else None
            counts = np.zeros(self.count, dtype=np.int64)
            counts[self._runs[self._active]] = rows  # until they end
            chunk = Chunk(step, points, counts, [])
            self._ended = chunk.ended
            started = time.perf_counter()
            row = 0
            with np.errstate(all="ignore"):  # non-finite values are expected here
                while row < rows and self._active.any():
                    if compact and 2 * self._active.sum() < len(self._active):
                        self._compact()
                    block = self._block(step, min(block_rows, rows - row), chunk, row)
                    self._walk(step, block)
                    self._settle(step, block, chunk, row)
                    step += len(block)
                    row += len(block)
                    elapsed = time.perf_counter() - started
                    if elapsed > chunk_seconds and (
                        (rows - row) * elapsed > row * chunk_seconds * FINISH_WITHIN
                    ):
                        break
            if record:
                chunk.points = points[:row]
                self._keep_tail(chunk.points)
            np.minimum(counts, row, out=counts)
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
