"""Small 2-D datasets, as in TensorFlow Playground: generated from a seed, inside one box.

Every generator takes ``(rng, n, noise)`` and returns ``x`` of shape ``(n, 2)`` and ``y``
of shape ``(n,)``. Points are clipped to the box ``[-6, 6]²`` so one view fits all.
``noise`` is a fraction (0 = clean, 1 = very noisy); how it blurs each dataset is said
in its generator's docstring, and in plain words in its description. Classification
labels are 0 and 1, half of each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BOX = 6.0  # every generated point lies in [-BOX, BOX]²


@dataclass(frozen=True)
class Data:
    """Points ``x`` (n, 2) with targets ``y`` (n,), for a classification or regression task."""

    x: np.ndarray
    y: np.ndarray
    task: str  # "classification" or "regression"

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Split:
    """A dataset cut into training and test points (the test part may be empty)."""

    train: Data
    test: Data
    task: str


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    task: str
    description: str
    generate: Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]


def _halves(n: int) -> tuple[int, int]:
    """Sizes of class 0 and class 1 (class 0 takes the odd point)."""
    return n - n // 2, n // 2


def _labels(n: int) -> np.ndarray:
    n0, n1 = _halves(n)
    return np.concatenate([np.zeros(n0), np.ones(n1)])


def _circle(rng, n, noise):
    """Class 1 inside radius 2.5, class 0 in a ring 3.5..5; jitter of std 3·noise, then
    labelled by radius < 3, so the classes stay separable and the gap narrows."""
    n0, n1 = _halves(n)
    radius = np.concatenate([rng.uniform(3.5, 5.0, n0), rng.uniform(0.0, 2.5, n1)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    x += rng.normal(0.0, 3.0 * noise, (n, 2))
    y = (np.hypot(x[:, 0], x[:, 1]) < 3.0).astype(float)
    return x, y


def _xor(rng, n, noise):
    """Uniform in [-5, 5]² kept 0.3 off the axes; jitter of std 3·noise, then class 1
    where x₁·x₂ > 0 (the quadrants), so the classes stay separable."""
    x = rng.uniform(-5.0, 5.0, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    x += rng.normal(0.0, 3.0 * noise, (n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    return x, y


def _gauss(rng, n, noise):
    """Two Gaussian blobs at (2, 2) (class 1) and (-2, -2) (class 0), spread 0.5 + 5·noise."""
    y = _labels(n)
    centre = np.where(y[:, None] == 1, 2.0, -2.0)
    x = centre + rng.normal(0.0, 0.5 + 5.0 * noise, (n, 2))
    return x, y


def _spiral(rng, n, noise):
    """Two interleaved spirals of 1.75 turns out to radius 5, jitter of std 1·noise."""
    y = _labels(n)
    n0, n1 = _halves(n)
    t = np.concatenate(
        [np.linspace(0, 1, n0, endpoint=False), np.linspace(0, 1, n1, endpoint=False)]
    )
    radius = 5.0 * t
    angle = 1.75 * 2 * np.pi * t + np.pi * y
    x = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    x += rng.normal(0.0, noise, (n, 2))
    return x, y


def _moons(rng, n, noise):
    """scikit-learn's two moons, scaled 2.5× and centred; jitter of std 2.5·noise."""
    y = _labels(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    x = np.where(y[:, None] == 0, upper, lower)
    x = 2.5 * (x - [0.5, 0.25])
    x += rng.normal(0.0, 2.5 * noise, (n, 2))
    return x, y


def _plane(rng, n, noise):
    """y = (x₁ + x₂) / 10 on [-5, 5]², plus label noise of std noise."""
    x = rng.uniform(-5.0, 5.0, (n, 2))
    y = (x[:, 0] + x[:, 1]) / 10 + rng.normal(0.0, noise, n)
    return x, y


def _sine(rng, n, noise):
    """y = sin(x₁) on [-5, 5]², plus label noise of std noise."""
    x = rng.uniform(-5.0, 5.0, (n, 2))
    y = np.sin(x[:, 0]) + rng.normal(0.0, noise, n)
    return x, y


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        # The descriptions are for a learner choosing data (GET /api/datasets); the
        # generators' docstrings say exactly how the points are made.
        DatasetInfo(
            "circle",
            "Circle",
            "classification",
            "Orange points inside a circle, blue points in a ring around it. More noise "
            "scatters the points and narrows the gap between the two.",
            _circle,
        ),
        DatasetInfo(
            "xor",
            "Exclusive or",
            "classification",
            "Orange where x₁ and x₂ have the same sign (top right and bottom left), blue in "
            "the other two corners. No straight line can split them. More noise scatters the "
            "points up to the axes.",
            _xor,
        ),
        DatasetInfo(
            "gauss",
            "Two Gaussians",
            "classification",
            "Two round clouds: orange at the top right, blue at the bottom left. More noise "
            "spreads them out until they overlap.",
            _gauss,
        ),
        DatasetInfo(
            "spiral",
            "Spiral",
            "classification",
            "Two spirals wound into each other, one per colour: the hardest to learn here. "
            "More noise blurs the arms.",
            _spiral,
        ),
        DatasetInfo(
            "moons",
            "Two moons",
            "classification",
            "Two interlocking half-moons, one per colour. More noise blurs their edges "
            "until they overlap.",
            _moons,
        ),
        DatasetInfo(
            "plane",
            "Plane",
            "regression",
            "A tilted plane: the target rises steadily towards the top right, "
            "y = (x₁ + x₂)/10. More noise adds random scatter to every target.",
            _plane,
        ),
        DatasetInfo(
            "sine",
            "Sine wave",
            "regression",
            "A wave across the plane: the target goes up and down as sin(x₁), whatever x₂ is. "
            "More noise adds random scatter to every target.",
            _sine,
        ),
    ]
}


def generate(name: str, n: int = 200, noise: float = 0.1, seed: int = 0) -> Data:
    """``n`` points of the named dataset; the same seed gives the same points."""
    info = DATASETS[name]
    rng = np.random.default_rng(seed)
    x, y = info.generate(rng, n, noise)
    return Data(np.clip(x, -BOX, BOX), y.astype(float), info.task)


def split(data: Data, test_fraction: float, seed: int = 0) -> Split:
    """Hold out ``floor(n · test_fraction)`` points for testing: those with the smallest
    ``point_keys``. A point's key depends on the point alone (and the seed), so adding a
    point moves at most one other point between training and test, and the points keep
    their order within each part."""
    n_test = int(np.floor(len(data) * test_fraction))
    held_out = np.zeros(len(data), dtype=bool)
    held_out[np.argsort(point_keys(data, seed), kind="stable")[:n_test]] = True
    return Split(
        train=Data(data.x[~held_out], data.y[~held_out], data.task),
        test=Data(data.x[held_out], data.y[held_out], data.task),
        task=data.task,
    )


def point_keys(data: Data, seed: int = 0) -> np.ndarray:
    """A pseudo-random 64-bit key for each point, a hash of its x₁, x₂, y and the seed.

    splitmix64 over the bits of the three numbers: the same point gets the same key on
    every machine, whatever else is in the dataset.
    """
    values = np.column_stack([data.x, data.y]).astype(np.float64) + 0.0  # -0.0 is 0.0
    keys = _mix(np.full(len(data), seed, dtype=np.uint64))
    for column in values.view(np.uint64).T:
        keys = _mix(keys ^ column)
    return keys


def _mix(z: np.ndarray) -> np.ndarray:
    """One step of splitmix64 (Steele, Lea & Flood 2014) on an array of keys: every input
    bit moves every output bit. Array arithmetic wraps modulo 2⁶⁴, as the hash means."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def grid_axes(x: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid axes over the box [-6, 6]², widened to take in any point outside it."""
    lo = np.minimum(x.min(axis=0, initial=-BOX), -BOX)
    hi = np.maximum(x.max(axis=0, initial=BOX), BOX)
    return np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
