"""The live training session behind ``WS /ws/train``, without the socket.

A session owns one ``Training`` and steps its loop: running or paused, a
pending ``step n``, hyperparameter changes that keep the network. ``advance``
trains for a short while (it runs in a worker thread) and returns the messages
to send: one ``epoch`` message carrying the newest record (with the newest
decision boundary) and, under ``history``, every recorded epoch since the last
message, so a browser draws at its own pace while the loss curve misses nothing.

Only one thread touches a session at a time: the socket handler applies
messages between calls to ``advance``.
"""

from __future__ import annotations

import time

from app import optim
from app.nets.train import Training, describe


class LiveSession:
    """A training run driven by messages: run, pause, step n epochs, change settings."""

    def __init__(self, training: Training, paused: bool = False):
        self.training = training
        self.running = not paused
        self.steps_left = 0
        self.finished = False
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

    def advance(self, seconds: float) -> list[dict]:
        """Train for about ``seconds`` (runs in a worker thread); the messages to send."""
        deadline = time.perf_counter() + seconds
        stepping = self.steps_left > 0
        while self.wants_work and time.perf_counter() < deadline:
            self._next()
            if self.steps_left > 0:
                self.steps_left -= 1
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
