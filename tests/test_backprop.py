"""One example's backprop (POST /api/network/backprop) against torch.autograd, and the
measured cost of nudging against backprop as networks grow."""

from __future__ import annotations

import numpy as np
import pytest

from app.nets import datasets, gradcheck
from app.nets.backprop import backprop_example
from app.nets.mlp import ACTIVATIONS, MLP, layer_sizes
from tests.conftest import strict_json

DEPTHS = [[], [5], [4, 3], [6, 5, 4, 3, 2]]
EXAMPLES = {"classification": ([1.5, -0.7], 1.0), "regression": ([-2.0, 0.4], 0.3)}


def random_net(hidden, activation, seed=0) -> MLP:
    """Weights and biases that look nothing like an initialisation (every slope matters)."""
    rng = np.random.default_rng(seed)
    sizes = layer_sizes(hidden)
    weights = [
        (rng.normal(0, 0.8, (nin, nout)), rng.normal(0, 0.5, nout))
        for nin, nout in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    return MLP(weights, activation)


def torch_example(torch, net: MLP, task: str, x, y) -> dict:
    """The same pass in torch: z, h and ∂ℓ/∂z of every layer, and ∂ℓ/∂W, ∂ℓ/∂b by autograd."""
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
    h = torch.tensor([x])
    zs, hs = [], []
    for layer, (W, b) in enumerate(params):
        z = h @ W + b
        z.retain_grad()
        h = z if layer == len(params) - 1 else act(z)
        zs.append(z)
        hs.append(h)
    out, target = h[:, 0], torch.tensor([y])
    if task == "classification":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, target)
    else:
        loss = torch.nn.functional.mse_loss(out, target)
    loss.backward()
    return {
        "loss": loss.item(),
        "z": [z.detach().numpy()[0] for z in zs],
        "h": [h.detach().numpy()[0] for h in hs],
        "delta": [z.grad.numpy()[0] for z in zs],
        "grad_W": [W.grad.numpy() for W, _ in params],
        "grad_b": [b.grad.numpy() for _, b in params],
    }


@pytest.mark.parametrize("task", list(EXAMPLES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", DEPTHS, ids=str)
def test_one_examples_backprop_is_torch_autograd(torch, hidden, activation, task):
    net = random_net(hidden, activation)
    x, y = EXAMPLES[task]
    ours = backprop_example(net, task, x, y)
    theirs = torch_example(torch, net, task, x, y)
    assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-12)
    assert len(ours["layers"]) == len(hidden) + 1
    previous = x
    for index, layer in enumerate(ours["layers"]):
        assert layer["layer"] == index + 1
        np.testing.assert_allclose(layer["input"], previous, rtol=1e-14)
        np.testing.assert_allclose(layer["pre_activation"], theirs["z"][index], rtol=1e-12)
        np.testing.assert_allclose(layer["activation"], theirs["h"][index], rtol=1e-12)
        np.testing.assert_allclose(layer["delta"], theirs["delta"][index], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(layer["grad_W"], theirs["grad_W"][index], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(layer["grad_b"], theirs["grad_b"][index], rtol=1e-10, atol=1e-15)
        previous = layer["activation"]
    assert ours["output"] == pytest.approx(ours["layers"][-1]["activation"][0], rel=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_layers_read_as_the_chain_rule(activation):
    """δ_L = ∂ℓ/∂ŷ; δ_{l-1} = (W_l δ_l) ⊙ act′(z_{l-1}); ∂ℓ/∂W_l = input_l ⊗ δ_l; ∂ℓ/∂b_l = δ_l."""
    net = random_net([4, 3], activation, seed=4)
    result = backprop_example(net, "classification", [0.3, -1.2], 0.0)
    layers = result["layers"]
    probability = 1 / (1 + np.exp(-result["output"]))
    np.testing.assert_allclose(layers[-1]["delta"], [probability - 0], rtol=1e-13)
    for lower, upper, W in zip(layers[:-1], layers[1:], net.W[1:], strict=True):
        walked_back = (W @ np.array(upper["delta"])) * np.array(lower["slope"])
        np.testing.assert_allclose(lower["delta"], walked_back, rtol=1e-12, atol=1e-16)
    for layer in layers:
        outer = np.outer(layer["input"], layer["delta"])
        np.testing.assert_allclose(layer["grad_W"], outer, rtol=1e-13, atol=1e-16)
        assert layer["grad_b"] == layer["delta"]
    assert layers[-1]["slope"] == [1.0]  # the output layer is linear


@pytest.mark.parametrize("task", list(EXAMPLES))
def test_the_examples_gradients_average_to_the_full_batch_gradient(task):
    """The training gradient is the mean of the examples' gradients: the same chain rule."""
    name = "xor" if task == "classification" else "sine"
    data = datasets.generate(name, 12, 0.2, seed=1)
    net = random_net([5, 4], "tanh", seed=2)
    net.loss_and_gradient(data.x, data.y, task)
    full = net.grad.copy()
    total = np.zeros_like(full)
    for x, y in zip(data.x.tolist(), data.y.tolist(), strict=True):
        layers = backprop_example(net, task, x, y)["layers"]
        blocks = [block for layer in layers for block in (layer["grad_W"], layer["grad_b"])]
        total += np.concatenate([np.ravel(block) for block in blocks])
    np.testing.assert_allclose(total / len(data), full, rtol=1e-11, atol=1e-15)


# --- the endpoint -------------------------------------------------------------------


def test_backprop_endpoint(client):
    weights = [
        {"W": [[0.5, -1.0], [2.0, 0.25]], "b": [0.1, -0.2]},
        {"W": [[1.5], [-0.5]], "b": [0.05]},
    ]
    body = {
        "network": {"weights": weights, "activation": "tanh"},
        "dataset": {"name": "sine"},
        "x": [0.4, -0.3],
        "y": 0.2,
    }
    response = client.post("/api/network/backprop", json=body)
    assert response.status_code == 200, response.text
    result = strict_json(response.text)
    assert result["task"] == "regression"
    net = MLP([(np.array(w["W"]), np.array(w["b"])) for w in weights], "tanh")
    expected = backprop_example(net, "regression", [0.4, -0.3], 0.2)
    assert {k: v for k, v in result.items() if k != "task"} == expected
    assert set(result["layers"][0]) == {
        "layer", "input", "pre_activation", "activation", "slope", "delta", "grad_W", "grad_b"
    }  # fmt: skip
    hand = np.tanh(np.array([0.4, -0.3]) @ np.array(weights[0]["W"]) + weights[0]["b"])
    y_hat = hand @ np.array([1.5, -0.5]) + 0.05
    assert result["loss"] == pytest.approx((y_hat - 0.2) ** 2, rel=1e-14)  # no L2 term


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"y": 0.5}, ["body", "y"]),  # a label of a classification dataset
        ({"x": [1.0]}, ["body", "x"]),
        ({"x": [1.0, "2"]}, ["body", "x", 1]),
        ({"x": [2e6, 0.0]}, ["body", "x", 0]),
        ({"y": True}, ["body", "y"]),
        ({"dataset": {"name": "nope"}}, ["body", "dataset", "name"]),
        ({"point": [0, 0]}, ["body", "point"]),
    ],
)
def test_bad_backprop_requests_are_422_naming_the_field(client, change, loc):
    body = {"network": {"hidden": [3]}, "dataset": {"name": "xor"}, "x": [1.0, 2.0], "y": 1}
    response = client.post("/api/network/backprop", json={**body, **change})
    assert response.status_code == 422
    assert loc in [error["loc"] for error in strict_json(response.text)["detail"]]


# --- why backprop: the cost as networks grow ------------------------------------------


def test_the_cost_of_nudging_against_backprop_is_measured_from_10_to_10000_weights(client):
    body = {"dataset": {"name": "xor", "n": 50}, "activation": "tanh"}
    response = client.post("/api/network/gradients/scaling", json=body)
    assert response.status_code == 200, response.text
    result = strict_json(response.text)
    assert result["points"] == 40 and result["activation"] == "tanh"
    networks = result["networks"]
    sizes = [n["parameters"] for n in networks]
    assert sizes == sorted(sizes) and sizes[0] <= 10 and sizes[-1] >= 10_000
    for network in networks:
        assert network["parameters"] == MLP.initialised(network["hidden"], "tanh").n_parameters
        backprop, nudging = network["backprop"], network["finite_difference"]
        assert backprop["seconds"] > 0 and backprop["passes_timed"] >= 3
        assert (backprop["forward_passes"], backprop["backward_passes"]) == (1, 1)
        assert nudging["forward_passes"] == 2 * network["parameters"]
        assert 2 <= nudging["forward_passes_timed"] <= nudging["forward_passes"]
        assert nudging["forward_passes_timed"] % 2 == 0  # each nudge is two passes
        assert nudging["extrapolated"] == (
            nudging["forward_passes_timed"] < 2 * network["parameters"]
        )
        assert nudging["seconds"] > 0


def test_nudging_is_central_differences_of_the_loss():
    data = datasets.generate("moons", 20, 0.1, seed=2)
    net = random_net([3], "sigmoid", seed=5)
    net.loss_and_gradient(data.x, data.y, data.task)
    for i in range(net.n_parameters):
        nudged = gradcheck.nudge(net, data, 0.0, 1e-6, i)
        assert nudged == pytest.approx(net.grad[i], rel=1e-6, abs=1e-9)


def test_scaling_bad_requests(client):
    response = client.post("/api/network/gradients/scaling", json={"activation": "tanh"})
    assert response.status_code == 422
    response = client.post(
        "/api/network/gradients/scaling", json={"dataset": {"name": "xor"}, "activation": "gelu"}
    )
    assert ["body", "activation"] in [e["loc"] for e in strict_json(response.text)["detail"]]
