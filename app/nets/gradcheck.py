"""Backpropagation beside central finite differences, and what each costs.

Backpropagation gets all P partial derivatives from one forward and one
backward pass. Finite differences nudge one weight at a time:

    ∂L/∂θᵢ ≈ (L(θ + εeᵢ) − L(θ − εeᵢ)) / 2ε

which is 2P forward passes. Both are counted by the network itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from app.finite import finite_number, finite_or_none
from app.nets.datasets import Data
from app.nets.mlp import MLP
from app.nets.train import quiet, result_of

SCALING_NETWORKS = ([2], [4], [8], [8, 8], [16, 16], [32, 32], [64, 64], [64] * 3, [64] * 4)
BACKPROP_TIMING = (3, 25, 0.05)  # time 3 to 25 backprop passes, stopping after 0.05 s
NUDGE_TIMING = 0.05  # seconds of nudging timed per network; the rest of the 2P is extrapolated


class NotFinite(ValueError):
    """The loss or its gradient is not finite at these weights: the network has diverged."""


def work(parameters: int, n_train: int) -> int:
    """Weight × point evaluations of a check: 2P forward passes of n points through P weights."""
    return (2 * parameters + 3) * n_train * parameters


def check_gradients(net: MLP, data: Data, l2: float = 0.0, epsilon: float = 1e-6) -> dict:
    """The loss gradient by backpropagation and by finite differences, side by side."""
    return result_of(check_steps(net, data, l2, epsilon))


def nudge(net: MLP, data: Data, l2: float, epsilon: float, i: int) -> float:
    """∂L/∂θᵢ by central differences: two forward passes, θᵢ nudged up and down by ε."""
    theta = net.theta
    original = theta[i]
    theta[i] = original + epsilon
    loss_plus = net.loss(data.x, data.y, data.task, l2)
    theta[i] = original - epsilon
    loss_minus = net.loss(data.x, data.y, data.task, l2)
    theta[i] = original
    return (loss_plus - loss_minus) / (2 * epsilon)


def check_steps(net: MLP, data: Data, l2: float, epsilon: float) -> Iterator[dict | None]:
    """The check as steps: None after each weight's nudge (a server may pause there), then
    the report. The seconds count computing only, not the pauses. Raises NotFinite (before
    any nudging) where the loss or the backpropagated gradient is not finite."""
    x, y, task = data.x, data.y, data.task
    net.forward_passes = net.backward_passes = 0

    with np.errstate(all="ignore"):
        started = time.perf_counter()
        loss, _ = net.loss_and_gradient(x, y, task, l2)
        backprop_seconds = time.perf_counter() - started
        loss += net.penalty(l2)
    if not np.isfinite(loss) or not np.isfinite(net.grad).all():
        what = "loss" if not np.isfinite(loss) else "gradient"
        raise NotFinite(
            f"the {what} is not finite at these weights: the network has diverged, so there "
            "is no gradient to check; start it again with a smaller learning rate"
        )
    backprop = net.grad.copy()
    backprop_passes = (net.forward_passes, net.backward_passes)

    net.forward_passes = 0
    finite_difference = np.empty_like(net.theta)
    finite_difference_seconds = 0.0
    for i in range(len(finite_difference)):
        with np.errstate(all="ignore"):
            started = time.perf_counter()
            finite_difference[i] = nudge(net, data, l2, epsilon, i)
            finite_difference_seconds += time.perf_counter() - started
        yield None

    with np.errstate(all="ignore"):
        difference = backprop - finite_difference
        scale = np.linalg.norm(backprop) + np.linalg.norm(finite_difference)
        relative_error = float(np.linalg.norm(difference) / scale) if scale > 0 else 0.0
    grad_W, grad_b = net.views(backprop)
    fd_W, fd_b = net.views(finite_difference)
    yield {
        "loss": finite_number(loss),
        "parameters": net.n_parameters,
        "epsilon": epsilon,
        "layers": [
            {
                "layer": layer + 1,
                "grad_W": finite_or_none(grad_W[layer]),
                "grad_b": finite_or_none(grad_b[layer]),
                "fd_grad_W": finite_or_none(fd_W[layer]),
                "fd_grad_b": finite_or_none(fd_b[layer]),
            }
            for layer in range(len(net.shapes))
        ],
        "max_abs_difference": finite_number(np.max(np.abs(difference))),
        "relative_error": finite_number(relative_error),
        "cost": {
            "backprop": {
                "forward_passes": backprop_passes[0],
                "backward_passes": backprop_passes[1],
                "seconds": backprop_seconds,
            },
            "finite_difference": {
                "forward_passes": net.forward_passes,
                "seconds": finite_difference_seconds,
            },
        },
    }


# --- how the two costs grow with the network -----------------------------------------


def scaling_steps(data: Data, activation: str, epsilon: float = 1e-6) -> Iterator[dict | None]:
    """Measured seconds of one backprop pass and of the 2P forward passes of nudging, for
    networks of ~10 to ~10⁴ weights (``SCALING_NETWORKS``) on the same points.

    As steps: None after each pass (a server may pause there), then the report.
    A backprop pass is timed 3 to 25 times (about 0.05 s) and the fastest kept (as
    ``timeit`` does: the slower ones were held up by something else). Nudging every
    weight of the larger networks would take minutes, so it is timed weight by weight
    for about ``NUDGE_TIMING`` seconds: the seconds are the median nudge × P, and
    ``extrapolated`` says whether fewer than all 2P passes were timed.
    """
    networks = []
    for hidden in SCALING_NETWORKS:
        net = MLP.initialised(hidden, activation, seed=0)
        P = net.n_parameters
        backprop_times: list[float] = []
        nudge_times: list[float] = []
        least, most, budget = BACKPROP_TIMING
        while len(backprop_times) < most and (
            len(backprop_times) < least or sum(backprop_times) < budget
        ):
            backprop_times.append(_timed(net.loss_and_gradient, data.x, data.y, data.task))
            yield None
        while len(nudge_times) < P and (not nudge_times or sum(nudge_times) < NUDGE_TIMING):
            nudge_times.append(_timed(nudge, net, data, 0.0, epsilon, len(nudge_times)))
            yield None
        networks.append(
            {
                "hidden": hidden,
                "parameters": P,
                "backprop": {
                    "seconds": min(backprop_times),
                    "forward_passes": 1,
                    "backward_passes": 1,
                    "passes_timed": len(backprop_times),
                },
                "finite_difference": {
                    "seconds": float(np.median(nudge_times)) * P,
                    "forward_passes": 2 * P,
                    "forward_passes_timed": 2 * len(nudge_times),
                    "extrapolated": len(nudge_times) < P,
                },
            }
        )
    yield {"points": len(data), "activation": activation, "networks": networks}


@quiet
def _timed(function, *args) -> float:
    """Seconds ``function(*args)`` took (overflow is no error here: its time still counts)."""
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started
