"""The live training session behind ``WS /ws/train``, without the socket.

A session owns one ``Training`` and steps its loop: running or paused, a
pending ``step n``, hyperparameter changes that keep the network. ``advance``
trains for a short while (it runs in a worker thread) and returns the messages
to send: one ``epoch`` message carrying the newest record (with the newest
decision boundary) and, under ``history``, every recorded epoch since the last
message, so a browser draws at its own pace while the loss curve misses nothing.

A session may keep a pace (``epochs_per_second``) so a person can watch a small
network learn: a run that could do thousands of epochs a second then trains at
that rate while running. ``step`` is never paced.

Only one thread touches a session at a time: the socket handler applies
messages between calls to ``advance``.
"""

from __future__ import annotations

import math
import time

from app import optim
from app.nets.train import Training, describe

MAX_BURST_SECONDS = 0.25  # a paced run that fell behind catches up at most this much at once


class LiveSession:
    """A training run driven by messages: run, pause, step n epochs, change settings."""

    def __init__(
        self, training: Training, paused: bool = False, epochs_per_second: float | None = None
    ):
        self.training = training
        self.running = not paused
        self.steps_left = 0
        self.finished = False
        self.epochs_per_second = epochs_per_second or None  # None (or 0): as fast as it goes
        self._credit = 1.0  # epochs the pace allows now
        self._clock: float | None = None
        self._loop = training.run()
        self._unsent: list[dict] = []
        self._last_sent_epoch = -1
        self._next(first=True)  # epoch 0: the starting network

    # --- messages ----------------------------------------------------------------

    def opening_messages(self) -> list[dict]:
        """start, the record of the starting network, and the state."""
        return [{"type": "start", **describe(self.training)}, *self._epoch_message(), self.state()]

    def state(self, **extra) -> dict:
        return {"type": "state", "running": self.running, "epoch": self.training.epoch, **extra}

    def snapshot(self) -> dict:
        """The current weights and the gradient of the objective there (on request)."""
        training = self.training
        return {
            "type": "weights",
            "epoch": training.epoch,
            "weights": training.weights(),
            "gradients": training.gradient(),
        }

    def _epoch_message(self) -> list[dict]:
        if self.training.epoch == self._last_sent_epoch:
            return []
        self._last_sent_epoch = self.training.epoch
        history, self._unsent = self._unsent, []
        return [{"type": "epoch", **self.training.record(), "history": history}]

    def _done_messages(self) -> list[dict]:
        self.running = False
        self.steps_left = 0
        done = {
            "type": "done",
            "status": self.training.status,
            "epochs_trained": self.training.epoch,
            "weights": self.training.weights(),
        }
        return [done, self.state()]

    # --- training ----------------------------------------------------------------

    @property
    def wants_work(self) -> bool:
        return not self.finished and (self.running or self.steps_left > 0)

    def _next(self, first: bool = False) -> None:
        """One more epoch of the loop (the first call only measures the start)."""
        epoch = next(self._loop, None)
        if epoch is None:  # diverged: the training went back to its last finite weights
            self.finished = True
            return
        if first or self.training.settings.is_recorded(epoch):
            self._unsent.append(self.training.record(boundary=False))
        if epoch >= self.training.settings.epochs:
            next(self._loop, None)  # lets the loop end and say "completed"
            self.finished = True

    def _paced_epochs(self) -> float:
        """How many epochs the pace allows now (infinity without a pace)."""
        if self.epochs_per_second is None:
            return math.inf
        now = time.perf_counter()
        if self._clock is not None:
            earned = (now - self._clock) * self.epochs_per_second
            cap = self.epochs_per_second * MAX_BURST_SECONDS + 1
            self._credit = min(self._credit + earned, cap)
        self._clock = now
        return self._credit

    def advance(self, seconds: float) -> list[dict]:
        """Train for about ``seconds`` (runs in a worker thread); the messages to send."""
        deadline = time.perf_counter() + seconds
        stepping = self.steps_left > 0  # a step is never paced (running is then False)
        allowed = self._paced_epochs() if self.running else math.inf
        while self.wants_work and allowed >= 1 and time.perf_counter() < deadline:
            self._next()
            if self.steps_left > 0:
                self.steps_left -= 1
            else:
                allowed -= 1
        if self.running and allowed != math.inf:
            self._credit = allowed
        messages = self._epoch_message()
        if self.finished:
            messages += self._done_messages()
        elif stepping and self.steps_left == 0 and not self.running:
            messages.append(self.state())
        return messages

    # --- control -----------------------------------------------------------------

    def pause(self) -> None:
        self.running, self.steps_left = False, 0

    def resume(self) -> None:
        self.running, self.steps_left = True, 0
        self._restart_pace()

    def set_pace(self, epochs_per_second: float | None) -> None:
        """Train at most this many epochs a second while running (None or 0: no limit)."""
        self.epochs_per_second = epochs_per_second or None
        self._restart_pace()

    def _restart_pace(self) -> None:
        """The next paced epoch comes at once; no credit was earned while waiting."""
        self._credit, self._clock = 1.0, None

    def step(self, epochs: int) -> None:
        """Train exactly ``epochs`` more epochs (or up to the run's last), then pause."""
        self.running, self.steps_left = False, epochs

    def set(self, optimizer: str, changes: dict, l2: float | None = None) -> dict:
        """Change hyperparameters, keeping the network (and the optimizer's state, for the
        same optimizer). Raises optim.OptimizerSpecError for a bad value; returns the
        optimizer's hyperparameters now in force.
        """
        settings = self.training.settings
        if optimizer == settings.optimizer:
            changes = {**optim.public_hyperparameters(settings.hyperparameters), **changes}
        hyperparameters = optim.resolve(optimizer, changes)
        self.training.set_optimizer(optimizer, hyperparameters)
        if l2 is not None:
            self.training.set_l2(l2)
        return optim.public_hyperparameters(hyperparameters)
