"""The network's own loss landscape: a 2-D slice through its final weights.

After training to weights θ*, pick two directions d₁, d₂ in weight space and
evaluate the training objective (loss + L2 penalty) at θ* + α d₁ + β d₂ on a
grid of (α, β). The directions are either

- ``pca``: the top two principal components of the weight trajectory
  θ₀ − θ*, θ₁ − θ*, … (as Li et al. 2018 do), each scaled so that the
  projected path reaches 0.8 along it (``span`` 1 shows the whole path), or
- ``random``: Gaussian directions, filter-normalised per layer block: each
  block (W_l, b_l) of the direction rescaled to the norm of that block of θ*
  (Li et al. 2018), so ``span`` 1 means "as far again as the weights".

The training path is projected onto the plane (least squares) and the
objective is evaluated at each projected point. The path does not lie in the
plane, so that loss can differ from the loss the network really had there.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from app.finite import finite_or_none
from app.nets.datasets import Data, Split
from app.nets.mlp import MLP, losses
from app.nets.train import (
    Training,
    TrainSettings,
    grid_axes_json,
    history,
    result_of,
)

PATH_EXTENT = 0.8  # where the PCA-scaled path reaches along each direction
CHUNK_VALUES = 200_000  # floats per intermediate array when evaluating many networks

NOTE = (
    "path.loss is the loss at the training path's projection onto the plane of the two "
    "directions; the path itself does not lie in that plane, so its projected loss can differ "
    "from the surface under it and from the loss the network really had (path.train_loss)."
)


def work(parameters: int, n_train: int, resolution: int, path_points: int) -> int:
    """Weight × point evaluations of the slice: one forward pass per grid and path point."""
    return parameters * n_train * (resolution**2 + path_points)


def top_eigenpairs(gram: np.ndarray, rng: np.random.Generator, count: int = 2):
    """The ``count`` largest eigenvalues (descending) and eigenvectors (columns) of a
    symmetric positive semi-definite matrix.

    Subspace iteration with a Rayleigh–Ritz step: a training trajectory's spectrum
    falls off fast, so a few iterations reach a residual of 1e-10 (a full ``eigh``
    takes several times longer); when they do not, the full ``eigh`` answers.
    """
    block = 8
    if len(gram) > 2 * block:
        Q = np.linalg.qr(rng.normal(size=(len(gram), block)))[0]
        for _ in range(50):
            Q = np.linalg.qr(gram @ Q)[0]
            small_values, small_vectors = np.linalg.eigh(Q.T @ gram @ Q)
            values = small_values[::-1][:count]
            vectors = Q @ small_vectors[:, ::-1][:, :count]
            residual = np.linalg.norm(gram @ vectors - vectors * values, axis=0)
            if np.all(residual <= 1e-10 * max(values[0], 1e-300)):
                return values, vectors
    values, vectors = np.linalg.eigh(gram)
    return values[::-1][:count], vectors[:, ::-1][:, :count]


def pca_directions(offsets: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """The top two principal directions (unit rows) of the offsets, and their variance shares.

    They are the top eigenvectors of the smaller Gram matrix of the centred offsets X
    (XᵀX, or XXᵀ mapped back through Xᵀ), much faster than an SVD. A trajectory with
    fewer than two independent directions is completed with a random orthogonal one.
    """
    centred = offsets - offsets.mean(axis=0)
    largest = np.max(np.abs(centred))
    if largest > 0:
        centred /= largest  # PCA does not mind the scale, and squares of 1e200 overflow
    k, p = centred.shape
    if p <= k:
        variance, top = top_eigenpairs(centred.T @ centred, rng)
    else:
        variance, top = top_eigenpairs(centred @ centred.T, rng)
        top = centred.T @ top
    variance = np.clip(variance, 0.0, None)
    total = float(np.sum(centred * centred))  # the trace: all the variance
    explained = [float(v / total) if total > 0 else 0.0 for v in variance]
    explained += [0.0] * (2 - len(explained))
    directions = []
    for value, direction in zip(variance, top.T, strict=True):
        norm = np.linalg.norm(direction)
        if value > 1e-12 * total and norm > 0:  # else it is rounding noise
            directions.append(direction / norm)
    while len(directions) < 2:
        direction = rng.normal(size=p)
        for other in directions:
            direction -= (direction @ other) * other
        directions.append(direction / np.linalg.norm(direction))
    return np.stack(directions), explained


def random_directions(net: MLP, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two Gaussian directions, each layer block rescaled to the norm of that block of θ."""
    directions = rng.normal(size=(2, len(theta)))
    sizes = net.block_sizes
    theta_norms = net.block_norms(theta)
    for direction in directions:
        scale = theta_norms / net.block_norms(direction)
        direction *= np.repeat(scale, sizes)
    return directions


def objectives(net: MLP, centre, basis, coords: np.ndarray, data: Data, l2: float):
    """Loss + penalty at centre + coords @ basis for the rows of coords (K, 2), yielded a
    chunk of rows at a time (vectorised within a chunk, memory bounded)."""
    per_network = max(len(data) * max(net.sizes), net.n_parameters)
    chunk = max(1, min(len(coords), CHUNK_VALUES // per_network))
    workspace = net.workspace_for(chunk, len(data))
    for start in range(0, len(coords), chunk):
        with np.errstate(all="ignore"):  # far from the weights the loss may overflow
            thetas = centre + coords[start : start + chunk] @ basis
            outputs = net.forward_many(thetas, data.x, workspace)
            values = losses(data.task, outputs, data.y) + net.penalties(thetas, l2)
        yield values


def explore(
    data: Split,
    net: MLP,
    settings: TrainSettings,
    directions: str = "pca",
    resolution: int = 31,
    span: float = 1.0,
) -> dict:
    """Train, then slice the objective through the final weights and project the path."""
    return result_of(explore_steps(data, net, settings, directions, resolution, span))


def explore_steps(data, net, settings, directions, resolution, span) -> Iterator[dict | None]:
    """``explore`` as steps: None after each epoch and each chunk of the grid, then the result."""
    training = Training(data, net, settings)
    records, trajectory = [], []
    for record in history(training, boundary=False):
        records.append(record)
        trajectory.append(net.theta.copy())
        yield None
    final = net.theta.copy()
    trajectory = np.array(trajectory)
    rng = np.random.default_rng(settings.seed)

    explained = None
    if directions == "pca":
        basis, explained = pca_directions(trajectory - final, rng)
    else:
        basis = random_directions(net, final, rng)
    # The path's coordinates in the plane: least squares, since random directions are
    # not orthogonal.
    coords = np.linalg.lstsq(basis.T, (trajectory - final).T, rcond=None)[0].T
    if directions == "pca":
        extent = np.max(np.abs(coords), axis=0)
        scale = np.where(extent > 0, extent / PATH_EXTENT, 1.0)
        basis *= scale[:, None]
        coords /= scale

    alpha = np.linspace(-span, span, resolution)
    beta = np.linspace(-span, span, resolution)
    aa, bb = np.meshgrid(alpha, beta)  # row i is beta[i], column j is alpha[j]
    grid = np.column_stack([aa.ravel(), bb.ravel()])
    l2 = settings.l2
    surface, path_loss = [], []
    for values in objectives(net, final, basis, grid, data.train, l2):
        surface.append(values)
        yield None
    for values in objectives(net, final, basis, coords, data.train, l2):
        path_loss.append(values)
        yield None
    surface = np.concatenate(surface).reshape(resolution, resolution)
    path_loss = np.concatenate(path_loss)
    # The objective the network really had at each recorded epoch (loss + penalty).
    train_loss = np.array([r["train_loss"] for r in records]) + net.penalties(trajectory, l2)

    yield {
        "directions": directions,
        "alpha": alpha.tolist(),
        "beta": beta.tolist(),
        "loss": finite_or_none(surface),
        "path": {
            "epoch": [r["epoch"] for r in records],
            "alpha": finite_or_none(coords[:, 0]),
            "beta": finite_or_none(coords[:, 1]),
            "loss": finite_or_none(path_loss),
            "train_loss": finite_or_none(train_loss),
        },
        "explained_variance": explained,
        "note": NOTE,
        "status": training.status,
        "epochs_trained": training.epoch,
        "weights": training.weights(),
        "grid": grid_axes_json(training),
        "boundary": training.boundary() if settings.boundary_resolution > 0 else None,
    }
