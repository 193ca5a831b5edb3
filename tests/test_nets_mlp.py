"""The numpy MLP against torch.autograd and against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from app.nets import datasets
from app.nets.mlp import ACTIVATIONS, MLP, initial_weights, layer_sizes

DEPTHS = [[], [5], [4, 3], [6, 5, 4, 3, 2]]
TASKS = {"classification": "xor", "regression": "sine"}


def random_net(hidden, activation, seed=0) -> MLP:
    """A network with random (not initialised-looking) weights and biases."""
    rng = np.random.default_rng(seed)
    sizes = layer_sizes(hidden)
    weights = [
        (rng.normal(0, 0.8, (nin, nout)), rng.normal(0, 0.5, nout))
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    return MLP(weights, activation)


def data_for(task: str, n: int = 40) -> datasets.Data:
    return datasets.generate(TASKS[task], n, 0.2, seed=3)


def torch_loss_and_grads(torch, net: MLP, data: datasets.Data, l2: float):
    """The same network in torch: the loss and every layer's (∂L/∂W, ∂L/∂b) by autograd."""
    act = {
        "tanh": torch.tanh,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "linear": lambda z: z,
    }[net.activation]
    params = [
        (torch.tensor(W.copy(), requires_grad=True), torch.tensor(b.copy(), requires_grad=True))
        for W, b in zip(net.W, net.b, strict=True)
    ]
    h = torch.tensor(data.x)
    for layer, (W, b) in enumerate(params):
        z = h @ W + b
        h = z if layer == len(params) - 1 else act(z)
    out, y = h[:, 0], torch.tensor(data.y)
    if data.task == "classification":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, y)
    else:
        loss = torch.nn.functional.mse_loss(out, y)
    objective = loss + l2 * sum((W * W).sum() for W, _ in params) / 2
    objective.backward()
    return loss.item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


def assert_close_relative(ours: np.ndarray, theirs: np.ndarray, rtol: float = 1e-10) -> None:
    """Equal to rtol relative to the array's scale (tiny entries come from cancellation)."""
    scale = max(np.max(np.abs(theirs)), 1e-300)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("hidden", DEPTHS, ids=str)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", TASKS)
def test_loss_and_every_layer_gradient_match_torch_autograd(torch, hidden, activation, task):
    net = random_net(hidden, activation, seed=len(hidden))
    data = data_for(task)
    l2 = 0.01 if len(hidden) % 2 else 0.0
    loss, _ = net.loss_and_gradient(data.x, data.y, task, l2)
    torch_loss, torch_grads = torch_loss_and_grads(torch, net, data, l2)
    assert loss == pytest.approx(torch_loss, rel=1e-12)
    assert len(torch_grads) == len(net.dW)
    for (dW, db), (tW, tb) in zip(zip(net.dW, net.db, strict=True), torch_grads, strict=True):
        assert_close_relative(dW, tW)
        assert_close_relative(db, tb)


def test_bce_is_stable_for_huge_logits(torch):
    """Logits of ±1000 neither overflow nor lose the gradient (BCE with logits)."""
    net = MLP([(np.array([[400.0], [-300.0]]), np.array([0.0]))], "linear")
    data = datasets.Data(
        np.array([[3.0, 0.5], [-2.0, 1.0]]), np.array([0.0, 1.0]), "classification"
    )
    loss, _ = net.loss_and_gradient(data.x, data.y, "classification")
    torch_loss, torch_grads = torch_loss_and_grads(torch, net, data, 0.0)
    assert np.isfinite(loss) and loss == pytest.approx(torch_loss, rel=1e-12)
    assert_close_relative(net.dW[0], torch_grads[0][0])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("task", TASKS)
def test_backprop_matches_central_differences(activation, task):
    """Without torch: every partial derivative against (L(θ+ε) − L(θ−ε)) / 2ε."""
    net = random_net([4, 3], activation, seed=7)
    data = data_for(task, n=25)
    net.loss_and_gradient(data.x, data.y, task, l2=0.05)
    backprop = net.grad.copy()
    numeric = np.empty_like(backprop)
    for i in range(net.n_parameters):
        original = net.theta[i]
        net.theta[i] = original + 1e-6
        plus = net.loss(data.x, data.y, task, 0.05)
        net.theta[i] = original - 1e-6
        minus = net.loss(data.x, data.y, task, 0.05)
        net.theta[i] = original
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(backprop, numeric, rtol=1e-6, atol=1e-9)


def test_weights_are_views_into_one_flat_vector():
    net = random_net([3, 2], "tanh")
    net.theta[:] = np.arange(net.n_parameters)
    assert net.W[0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert net.b[0].tolist() == [6, 7, 8]
    assert net.W[-1].shape == (2, 1) and net.b[-1].shape == (1,)
    assert net.n_parameters == (2 + 1) * 3 + (3 + 1) * 2 + (2 + 1) * 1


def test_a_pass_keeps_its_activations_only_until_backward():
    """Between steps a network holds its weights and gradient, not a pass's activations
    (a live session sits paused for minutes), and backward needs a forward kept for it."""
    net = random_net([6, 5], "tanh")
    data = data_for("classification")
    net.loss_and_gradient(data.x, data.y, "classification")
    first = net.grad.copy()
    net.forward(data.x)  # a prediction only (the test set, the boundary)
    with pytest.raises(RuntimeError, match="for_backward"):
        net.backward(np.ones(len(data.y)))
    net.loss_and_gradient(data.x, data.y, "classification")
    with pytest.raises(RuntimeError, match="for_backward"):
        net.backward(np.ones(len(data.y)))  # the kept inputs went with the first backward
    np.testing.assert_array_equal(net.grad, first)


def test_forward_many_equals_forward_row_by_row():
    net = random_net([5, 4], "sigmoid")
    data = data_for("classification", n=30)
    rng = np.random.default_rng(1)
    thetas = net.theta + rng.normal(0, 0.3, (6, net.n_parameters))
    many = net.forward_many(thetas, data.x)
    for theta, row in zip(thetas, many, strict=True):
        net.theta[:] = theta
        np.testing.assert_allclose(row, net.forward(data.x), rtol=1e-13, atol=1e-13)


def test_initialisation_is_seeded_and_suits_the_activation():
    sizes = [2, 64, 64, 1]
    same = initial_weights(sizes, "tanh", seed=5)
    again = initial_weights(sizes, "tanh", seed=5)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(same, again, strict=True))
    other = initial_weights(sizes, "tanh", seed=6)
    assert not np.array_equal(same[0][0], other[0][0])
    glorot = same[1][0]  # U(±√(6/128)): variance 2/128
    assert abs(glorot).max() <= np.sqrt(6 / 128)
    assert np.var(glorot) == pytest.approx(2 / 128, rel=0.1)
    he = initial_weights(sizes, "relu", seed=5)[1][0]  # N(0, 2/64)
    assert np.var(he) == pytest.approx(2 / 64, rel=0.1)
    assert all(not b.any() for _, b in same)
