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

from app.nets.datasets import Data
from app.nets.mlp import MLP
from app.nets.train import finite_number, finite_or_none, result_of


def work(parameters: int, n_train: int) -> int:
    """Weight × point evaluations of a check: 2P forward passes of n points through P weights."""
    return (2 * parameters + 3) * n_train * parameters


def check_gradients(net: MLP, data: Data, l2: float = 0.0, epsilon: float = 1e-6) -> dict:
    """The loss gradient by backpropagation and by finite differences, side by side."""
    return result_of(check_steps(net, data, l2, epsilon))


def check_steps(net: MLP, data: Data, l2: float, epsilon: float) -> Iterator[dict | None]:
    """The check as steps: None after each weight's nudge (a server may pause there), then
    the report. The seconds count computing only, not the pauses."""
    x, y, task = data.x, data.y, data.task
    net.forward_passes = net.backward_passes = 0

    with np.errstate(all="ignore"):
        started = time.perf_counter()
        loss, _ = net.loss_and_gradient(x, y, task, l2)
        backprop_seconds = time.perf_counter() - started
    backprop = net.grad.copy()
    backprop_passes = (net.forward_passes, net.backward_passes)
    loss += net.penalty(l2)

    net.forward_passes = 0
    theta = net.theta
    finite_difference = np.empty_like(theta)
    finite_difference_seconds = 0.0
    for i in range(len(theta)):
        with np.errstate(all="ignore"):
            started = time.perf_counter()
            original = theta[i]
            theta[i] = original + epsilon
            loss_plus = net.loss(x, y, task, l2)
            theta[i] = original - epsilon
            loss_minus = net.loss(x, y, task, l2)
            theta[i] = original
            finite_difference[i] = (loss_plus - loss_minus) / (2 * epsilon)
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
