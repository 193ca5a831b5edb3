"""Training a network: one loop, yielding after every epoch.

``Training.run()`` is the loop. ``history()`` turns it into the epoch records of
API.md (the batch endpoint collects them, the stream endpoint forwards them),
and the live session steps the same loop one epoch at a time.

Epoch ``e`` describes the weights after ``e`` epochs; epoch 0 is the starting
network. Its ``train_loss`` and gradient norms are measured on the whole
training set at those weights (for full-batch training, that gradient is the one
the next step uses). ``train_loss`` and ``test_loss`` are the data loss without
the L2 penalty; the gradient is that of the objective, loss + penalty.

A run whose loss, gradient or weights stop being finite ends ``diverged``: the
network goes back to its last finite weights, and the history stops there.

Every measured epoch feeds the run's ``LossWindow`` (``app.nets.verdicts``), and each
record says the verdict at that epoch. A record may carry the decision boundary and
the unit maps (each hidden unit's activation) over a grid of the data's box.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from app import optim
from app.finite import finite_or_none
from app.nets.datasets import Split, grid_axes
from app.nets.mlp import MLP, losses, output_values
from app.nets.verdicts import LossWindow, baseline_loss

DEFAULT_OPTIMIZER = "adam"
DEFAULT_HYPERPARAMETERS = {"lr": 0.03}
UNIT_DIGITS = 4  # decimals of a unit map's values: far finer than a map shows

# Overflow is expected when a run diverges, and checked for. Use it as a decorator only:
# as a decorator np.errstate is thread-safe, as one shared `with` block it is not.
quiet = np.errstate(all="ignore")


@dataclass
class TrainSettings:
    """How to train: optimizer, epochs, batch size, L2, what to record."""

    optimizer: str = DEFAULT_OPTIMIZER
    hyperparameters: dict = field(
        default_factory=lambda: optim.resolve(DEFAULT_OPTIMIZER, DEFAULT_HYPERPARAMETERS)
    )
    epochs: int = 300
    batch_size: int | None = None  # None: full batch
    l2: float = 0.0
    record_every: int = 1
    boundary_resolution: int = 0
    unit_resolution: int = 0  # 0: no maps of what each hidden unit computes
    seed: int = 0  # minibatch shuffling

    def recorded_epochs(self) -> int:
        """How many records ``history`` yields: epoch 0, every record_every-th, and the last."""
        return self.epochs // self.record_every + 1 + (self.epochs % self.record_every != 0)

    def is_recorded(self, epoch: int) -> bool:
        return epoch % self.record_every == 0 or epoch == self.epochs


def batches_per_epoch(n_train: int, batch_size: int | None) -> int:
    return 1 if batch_size is None else -(-n_train // batch_size)


def training_work(n_train: int, n_test: int, parameters: int, settings: TrainSettings) -> int:
    """The weight × point evaluations a run costs (the unit of limits.MAX_NETWORK_WORK).

    Each epoch passes the training points forward and back (about 3 passes; twice
    that with minibatches, since each epoch is also measured on the whole set) and
    the test points forward; each record adds the boundary grid and the unit maps' grid.
    """
    passes = 3 * n_train * (1 if settings.batch_size is None else 2) + n_test
    grids = settings.boundary_resolution**2 + settings.unit_resolution**2
    return parameters * (settings.epochs * passes + grids * settings.recorded_epochs())


def unit_values(sizes: list[int], resolution: int) -> int:
    """How many numbers one record's unit maps hold: hidden units × resolution²."""
    return sum(sizes[1:-1]) * resolution**2


class Training:
    """A network, its data and its optimizer, trained one epoch at a time by ``run()``."""

    def __init__(self, data: Split, net: MLP, settings: TrainSettings):
        self.data = data
        self.net = net
        self.settings = settings
        # One flat parameter vector (W and b are views into it): the update rules are
        # element-wise, so this is torch.optim over [W_1, b_1, …] exactly, in one array op.
        self.optimizer = optim.Optimizer(settings.optimizer, settings.hyperparameters, [net.theta])
        self.epoch = 0
        self.status = "running"  # then "completed" or "diverged"
        self.current: dict = {}  # the record of the current weights, without a boundary
        self._gradient_is_current = False  # does net.grad hold the full-batch gradient now?
        self._last_finite: tuple[int, np.ndarray, dict] | None = None
        self._rng = np.random.default_rng(settings.seed)
        self._grids: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.window = LossWindow(baseline_loss(data.task, data.train.y))

    # --- the loop ----------------------------------------------------------------

    def run(self) -> Iterator[int]:
        """Train, yielding each epoch number (0 = the start) while everything is finite."""
        while True:
            if not self._measure():
                self.status = "diverged"
                self._restore_last_finite()
                return
            yield self.epoch
            if self.epoch >= self.settings.epochs:
                self.status = "completed"
                return
            self._train_one_epoch()

    @quiet
    def _train_one_epoch(self) -> None:
        train, net, l2 = self.data.train, self.net, self.settings.l2
        batch_size = self.settings.batch_size
        if batch_size is None or batch_size >= len(train):
            if not self._gradient_is_current:
                net.loss_and_gradient(train.x, train.y, self.data.task, l2)
            self.optimizer.step([net.theta], [net.grad])
        else:
            order = self._rng.permutation(len(train))
            for start in range(0, len(train), batch_size):
                batch = order[start : start + batch_size]
                net.loss_and_gradient(train.x[batch], train.y[batch], self.data.task, l2)
                self.optimizer.step([net.theta], [net.grad])
        self._gradient_is_current = False
        self.epoch += 1

    @quiet
    def _measure(self) -> bool:
        """Describe the current weights in ``self.current``; False if anything is not finite."""
        net, data, task = self.net, self.data, self.data.task
        train_loss, out = net.loss_and_gradient(data.train.x, data.train.y, task, self.settings.l2)
        self._gradient_is_current = True
        record = {
            "epoch": self.epoch,
            "train_loss": train_loss,
            "test_loss": None,
            "train_accuracy": accuracy(task, out, data.train.y),
            "test_accuracy": None,
            "layers": [],
        }
        if len(data.test):
            test_out = net.forward(data.test.x)
            test_loss = float(losses(task, test_out, data.test.y))
            record["test_loss"] = test_loss
            record["test_accuracy"] = accuracy(task, test_out, data.test.y)
        grad_norms = net.block_norms(net.grad)
        weight_norms = net.block_norms(net.theta)
        # A weight or gradient that is not finite makes its block's norm not finite.
        finite = np.isfinite(grad_norms).all() and np.isfinite(weight_norms).all()
        if not (finite and np.isfinite(train_loss) and np.isfinite(record["test_loss"] or 0.0)):
            return False
        record["layers"] = [
            {
                "layer": layer + 1,
                "weight_grad_norm": float(grad_norms[2 * layer]),
                "bias_grad_norm": float(grad_norms[2 * layer + 1]),
                "weight_norm": float(weight_norms[2 * layer]),
            }
            for layer in range(len(net.shapes))
        ]
        self.window.add(train_loss, float(np.sqrt(np.sum(grad_norms * grad_norms))))
        record["verdict"] = self.window.verdict()
        self.current = record
        self._last_finite = (self.epoch, net.theta.copy(), record)
        return True

    def _restore_last_finite(self) -> None:
        if self._last_finite is not None:
            self.epoch, theta, self.current = self._last_finite
            self.net.theta[:] = theta
        self._gradient_is_current = False

    # --- what the loop shows -----------------------------------------------------

    @property
    def verdict(self) -> str:
        """What the run is doing now, in one word (see ``app.nets.verdicts``)."""
        return self.window.verdict(self.status)

    def record(self, boundary: bool = True, units: bool | None = None) -> dict:
        """The epoch record of the current weights, with the decision boundary and the unit
        maps if asked (``units`` None: along with the boundary)."""
        record = dict(self.current)
        if boundary and self.settings.boundary_resolution > 0:
            record["boundary"] = self.boundary()
        if (boundary if units is None else units) and self.settings.unit_resolution > 0:
            record["units"] = self.units()
        return record

    def grid(self, resolution: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The x and y axes of a grid over all the data (the boundary's by default)."""
        resolution = resolution or self.settings.boundary_resolution
        if resolution not in self._grids:
            points = np.concatenate([self.data.train.x, self.data.test.x])
            self._grids[resolution] = grid_axes(points, resolution)
        return self._grids[resolution]

    def grid_points(self, resolution: int) -> np.ndarray:
        """The grid's points (resolution², 2), row by row: y[i] for each x[j]."""
        gx, gy = self.grid(resolution)
        xx, yy = np.meshgrid(gx, gy)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @quiet
    def boundary(self) -> list[list]:
        """The model's output on the grid: ``boundary[i][j]`` at (x[j], y[i]), as for a mesh."""
        resolution = self.settings.boundary_resolution
        out = self.net.forward(self.grid_points(resolution))
        values = output_values(self.data.task, out).reshape(resolution, resolution)
        return finite_or_none(values)

    @quiet
    def units(self) -> list[list]:
        """What each hidden unit computes over the same box: ``units[l][u][i][j]`` is unit u
        of hidden layer l+1 at (x[j], y[i]) of the unit grid, rounded to ``UNIT_DIGITS``."""
        resolution = self.settings.unit_resolution
        maps = []
        for h in self.net.hidden_activations(self.grid_points(resolution)):
            layer = np.round(h.T.reshape(-1, resolution, resolution), UNIT_DIGITS)
            maps.append(finite_or_none(layer))
        return maps

    def weights(self) -> list[dict]:
        return self.net.weights()

    @quiet
    def gradient(self) -> list[dict]:
        """∇(loss + penalty) at the current weights on all training points, as
        [{"W", "b"}, …] like ``weights`` (the gradient whose norms the record gives)."""
        if not self._gradient_is_current:
            train = self.data.train
            self.net.loss_and_gradient(train.x, train.y, self.data.task, self.settings.l2)
            self._gradient_is_current = True
        dW, db = self.net.dW, self.net.db
        return [
            {"W": finite_or_none(w), "b": finite_or_none(b)} for w, b in zip(dW, db, strict=True)
        ]

    # --- changes mid-run (the live session) ------------------------------------

    def set_optimizer(self, name: str, hyperparameters: dict) -> None:
        """New hyperparameters keep the optimizer's state; a new optimizer starts fresh."""
        if name == self.settings.optimizer:
            self.optimizer.set_hyperparameters(hyperparameters)
        else:
            self.optimizer = optim.Optimizer(name, hyperparameters, [self.net.theta])
        self.settings.optimizer, self.settings.hyperparameters = name, hyperparameters

    def set_l2(self, l2: float) -> None:
        self.settings.l2 = l2
        self._gradient_is_current = False


# --- helpers -----------------------------------------------------------------------


def accuracy(task: str, out: np.ndarray, y: np.ndarray) -> float | None:
    """The fraction classified right (logit > 0 means class 1); None for regression."""
    if task != "classification":
        return None
    return float(np.count_nonzero((out > 0) == (y == 1)) / len(y))


def history(training: Training, boundary: bool = True) -> Iterator[dict]:
    """The recorded epochs of a run: epoch 0, every record_every-th, and the last finite one."""
    last_sent = -1
    for epoch in training.run():
        if training.settings.is_recorded(epoch):
            last_sent = epoch
            yield training.record(boundary)
    if training.epoch != last_sent and training.current:
        yield training.record(boundary)


def grid_axes_json(training: Training, resolution: int | None = None) -> dict | None:
    """A grid's axes ``{"x", "y"}`` (the boundary's by default), or None for no grid."""
    resolution = training.settings.boundary_resolution if resolution is None else resolution
    if resolution == 0:
        return None
    gx, gy = training.grid(resolution)
    return {"x": gx.tolist(), "y": gy.tolist()}


def grids(training: Training) -> dict:
    """The boundary grid and, when units are mapped, the unit grid (over the same box)."""
    found = {"grid": grid_axes_json(training)}
    if training.settings.unit_resolution > 0:
        found["unit_grid"] = grid_axes_json(training, training.settings.unit_resolution)
    return found


def describe(training: Training) -> dict:
    """The opening message of a stream: the data, the network, the optimizer, the grid."""
    data, net, settings = training.data, training.net, training.settings
    return {
        "task": data.task,
        "layer_sizes": net.sizes,
        "activation": net.activation,
        "parameters": net.n_parameters,
        "optimizer": settings.optimizer,
        "hyperparameters": optim.public_hyperparameters(settings.hyperparameters),
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "l2": settings.l2,
        "train": {"x": data.train.x.tolist(), "y": data.train.y.tolist()},
        "test": {"x": data.test.x.tolist(), "y": data.test.y.tolist()},
        "baseline_loss": training.window.baseline,
        **grids(training),
    }


def summary(training: Training, records: list[dict]) -> dict:
    """The batch reply: ``{"status", "verdict", "epochs_trained", "history", "weights",
    "grid"}`` (and ``unit_grid`` with unit maps)."""
    return {
        "status": training.status,
        "verdict": training.verdict,
        "epochs_trained": training.epoch,
        "history": records,
        "weights": training.weights(),
        **grids(training),
    }


def train(data: Split, net: MLP, settings: TrainSettings) -> dict:
    """Train to the end and summarise the run."""
    training = Training(data, net, settings)
    return summary(training, list(history(training)))


def fan_steps(
    load_data: Callable[[], Split],
    build_net: Callable[[], MLP],
    runs: list[tuple[float, TrainSettings]],
) -> Iterator[dict | None]:
    """The learning-rate fan as steps: each (lr, settings) trains a network built afresh
    (the same initial weights) on the same data, with the same minibatch order (the
    settings' seed); None after each epoch, then ``{"runs": [...], "grid"}``."""
    data = load_data()
    results, training = [], None
    for lr, settings in runs:
        training = Training(data, build_net(), settings)
        records = []
        for record in history(training):
            records.append(record)
            yield None
        results.append(
            {
                "lr": lr,
                "status": training.status,
                "verdict": training.verdict,
                "epochs_trained": training.epoch,
                "history": records,
            }
        )
    yield {"runs": results, **grids(training)}


def result_of(steps: Iterator):
    """Run a computation written as steps (``yield None`` … ``yield result``) to its end."""
    return deque(steps, maxlen=1)[-1]


def stream_messages(training: Training) -> Iterator[dict]:
    """The JSON Lines stream: start, one message per recorded epoch, done."""
    yield {"type": "start", **describe(training)}
    for record in history(training):
        yield {"type": "epoch", **record}
    yield done_message(training)


def done_message(training: Training) -> dict:
    """The end of a stream or a live run: status, verdict, epochs trained, final weights."""
    return {
        "type": "done",
        "status": training.status,
        "verdict": training.verdict,
        "epochs_trained": training.epoch,
        "weights": training.weights(),
    }
