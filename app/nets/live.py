"""The live training session behind ``WS /ws/train``, without the socket.

A session owns one ``Training`` and steps its loop: running or paused, a
pending ``step n``, hyperparameter changes that keep the network. ``advance``
trains for a short while (it runs in a worker thread) and returns the messages
to send: one ``epoch`` message carrying the newest record (with the newest
decision boundary) and, under ``history``, every recorded epoch since the last
message, so a browser draws at its own pace while the loss curve misses nothing.
With ``unit_resolution``, a message carries the unit maps (what each hidden unit
computes) at most every ``UNIT_MAPS_INTERVAL``, and whenever the run comes to rest.

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
from app.nets.train import Training, describe, done_message

MAX_BURST_SECONDS = 0.25  # a paced run that fell behind catches up at most this much at once
# Unit maps are the biggest part of a message (hidden units × resolution²): a page draws
# them a few times a second at most, so a message carries them at most this often, and
# always when the session comes to rest (after a step, at the end, on pause).
UNIT_MAPS_INTERVAL = 0.25  # seconds


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
        self._units_sent_at = -math.inf
        self._units_owed = False  # the last epoch message went without the unit maps
        self._next(first=True)  # epoch 0: the starting network

    # --- messages ----------------------------------------------------------------

    def opening_messages(self) -> list[dict]:
        """start, the record of the starting network, and the state."""
        start = {"type": "start", **describe(self.training)}
        return [start, *self._epoch_message(at_rest=True), self.state()]

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

    def _epoch_message(self, at_rest: bool = False) -> list[dict]:
        """The newest record with the history since the last message (none if nothing is new);
        the unit maps come along at most every UNIT_MAPS_INTERVAL, or when ``at_rest``."""
        if self.training.epoch == self._last_sent_epoch:
            return []
        self._last_sent_epoch = self.training.epoch
        history, self._unsent = self._unsent, []
        units = self._units_due(at_rest)
        return [{"type": "epoch", **self.training.record(units=units), "history": history}]

    def _units_due(self, at_rest: bool) -> bool:
        if self.training.settings.unit_resolution == 0:
            return False
        now = time.perf_counter()
        due = at_rest or now - self._units_sent_at >= UNIT_MAPS_INTERVAL
        if due:
            self._units_sent_at = now
        self._units_owed = not due
        return due

    def resting_units(self) -> list[dict]:
        """After a pause: the current epoch again, with the unit maps the last message lacked
        (``history`` empty), so a paused page shows what each unit computes now."""
        if not self._units_owed:
            return []
        self._units_owed = False
        self._units_sent_at = time.perf_counter()
        return [{"type": "epoch", **self.training.record(units=True), "history": []}]

    def _done_messages(self) -> list[dict]:
        self.running = False
        self.steps_left = 0
        return [done_message(self.training), self.state()]

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
        messages = self._epoch_message(at_rest=not self.wants_work)
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
