"""What a training run is doing, in one word the server says (API.md, "Networks: verdicts").

A run's verdict is read from its status and from the training loss and gradient
norm of its last ``WINDOW`` epochs (every epoch, not only the recorded ones). The
loss is compared with the *baseline*: the loss of a network that has learnt only
the average answer (the class shares for classification, whose cross-entropy is
ln 2 ≈ 0.693 for half of each; the variance of the targets for regression). The
baseline is the scale of everything there is to learn.

In this order, the first that holds:

- ``diverged``: the loss, a gradient or a weight stopped being finite.
- ``unstable``: the loss is blowing up or thrashing. Blowing up: it ends the window
  higher than it started it and above ``WORSE_THAN_BASELINE`` baselines (worse than
  knowing nothing). Thrashing: in the window it jumped up, from one epoch to the
  next, by more than ``JUMP`` of the baseline at least ``THRASH_JUMPS`` times (the
  jitter of minibatches is far smaller; at a learning rate of 10 it jumps by several
  baselines, again and again).
- ``learning``: fewer than ``MIN_EPOCHS`` epochs so far (too early to call the loss
  flat), or still improving: the median loss of the window's last third is below
  that of its first third by more than ``PROGRESS`` of the baseline (medians, so
  minibatch noise and single spikes do not count).
- ``stalled``: flat and far from fitted: the loss (median of the last third) is
  still at least ``STALL_SHARE`` of the baseline; it has learnt next to nothing
  beyond the average (six sigmoid layers stuck at ln 2 with chance accuracy).
- ``converged``: flat, fitted, and the gradient small: the median gradient norm of
  the last WINDOW // 3 epochs is at most ``SMALL_GRADIENT`` of the largest the run
  has had.
- ``learning`` otherwise: flat and fitted, but the gradient is not small yet.

A new verdict is said once it has held for ``HOLD`` epochs in a row (noise near a
threshold does not flicker it), except ``unstable``, said at once. The window is a
ring the training fills one epoch at a time: a verdict costs O(WINDOW) per epoch
and O(1) to read, however long the run.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

CONVERGED, LEARNING, STALLED, UNSTABLE, DIVERGED = (
    "converged",
    "learning",
    "stalled",
    "unstable",
    "diverged",
)
VERDICTS = (CONVERGED, LEARNING, STALLED, UNSTABLE, DIVERGED)

WINDOW = 50  # epochs looked at
MIN_EPOCHS = 10  # fewer epochs than this: too early to call a run flat
THRASH_JUMPS = 3  # loss jumps up in the window that make it thrashing
JUMP = 0.5  # a jump raises the loss by more than this share of the baseline in one epoch
WORSE_THAN_BASELINE = 1.5  # a loss ending above this many baselines, and rising, blows up
PROGRESS = 0.01  # the loss fell by more than this share of the baseline: still learning
STALL_SHARE = 0.9  # a flat loss at or above this share of the baseline has stalled
HOLD = 5  # epochs a new verdict (other than unstable) must hold before it is said
SMALL_GRADIENT = 0.1  # converged: gradient norm at most this share of the largest seen


def baseline_loss(task: str, y: np.ndarray) -> float:
    """The loss of the best constant answer: what a network that learnt nothing reaches."""
    if len(y) == 0:
        return 0.0
    if task == "classification":
        share = float(np.mean(y))
        return sum(-p * math.log(p) for p in (share, 1 - share) if p > 0)
    return float(np.var(y))


class LossWindow:
    """The last WINDOW epochs' training loss and gradient norm, and the verdict they give."""

    def __init__(self, baseline: float):
        self.baseline = baseline
        self.losses: deque[float] = deque(maxlen=WINDOW + 1)
        self.gradients: deque[float] = deque(maxlen=WINDOW // 3)
        self.largest_gradient = 0.0
        self.epochs = 0  # measured after the start
        self.current = LEARNING
        self._candidate, self._held = LEARNING, 0

    def add(self, loss: float, gradient_norm: float) -> None:
        """One measured epoch (epoch 0, the starting network, included): updates the verdict."""
        if self.losses:
            self.epochs += 1
        self.losses.append(loss)
        self.gradients.append(gradient_norm)
        self.largest_gradient = max(self.largest_gradient, gradient_norm)
        judged = self.judge()
        if judged == self._candidate:
            self._held += 1
        else:
            self._candidate, self._held = judged, 1
        # A run turning unstable is said at once; any other change once it has held.
        if judged == UNSTABLE or self._held >= HOLD:
            self.current = judged

    def verdict(self, status: str = "running") -> str:
        """The verdict now: ``status`` is the training's (a diverged run is diverged)."""
        return DIVERGED if status == "diverged" else self.current

    def judge(self) -> str:
        """The verdict the window gives this epoch, before the hold."""
        losses = np.fromiter(self.losses, float, len(self.losses))
        # The scale of what there is to learn (the starting loss if the data leave nothing).
        scale = self.baseline if self.baseline > 1e-12 else max(losses[0], 1e-300)
        if losses[-1] > losses[0] and losses[-1] > WORSE_THAN_BASELINE * scale:
            return UNSTABLE  # blowing up: worse than knowing nothing, and rising
        if np.count_nonzero(np.diff(losses) > JUMP * scale) >= THRASH_JUMPS:
            return UNSTABLE  # thrashing
        if self.epochs < MIN_EPOCHS:
            return LEARNING
        third = len(losses) // 3
        early, late = np.median(losses[:third]), np.median(losses[-third:])
        if (early - late) / scale > PROGRESS:
            return LEARNING
        if self.baseline > 1e-12 and late >= STALL_SHARE * self.baseline:
            return STALLED
        if np.median(self.gradients) <= SMALL_GRADIENT * self.largest_gradient:
            return CONVERGED
        return LEARNING
