"""Training: the loop against torch.optim, the accuracy it reaches, vanishing gradients, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from app import optim
from app.nets import datasets
from app.nets.mlp import MLP
from app.nets.train import Training, TrainSettings, history, train

OPTIMIZERS = [
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 0.05, "amsgrad": True}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}),
]


def settings(name="adam", hyper=None, **kwargs) -> TrainSettings:
    return TrainSettings(optimizer=name, hyperparameters=optim.resolve(name, hyper or {}), **kwargs)


def torch_path(torch, net: MLP, data, name, hyper, epochs, l2=0.0, batches=None):
    """torch.optim training the same network from the same weights: weights after each epoch."""
    theta = net.theta.copy()
    params = []
    for W, b in zip(*net.views(theta), strict=True):
        params += [
            torch.tensor(W.copy(), requires_grad=True),
            torch.tensor(b.copy(), requires_grad=True),
        ]
    torch_name = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}
    optimizer = getattr(torch.optim, torch_name.get(name, "AdamW"))(params, **hyper)
    x, y = torch.tensor(data.train.x), torch.tensor(data.train.y)
    path = []
    for epoch in range(epochs):
        for batch in batches[epoch] if batches else [slice(None)]:
            optimizer.zero_grad()
            h = x[batch]
            for layer in range(0, len(params), 2):
                h = h @ params[layer] + params[layer + 1]
                if layer < len(params) - 2:
                    h = torch.tanh(h)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(h[:, 0], y[batch])
            loss = loss + l2 * sum((W * W).sum() for W in params[0::2]) / 2
            loss.backward()
            optimizer.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return path


def our_path(net, data, name, hyper, epochs, **kwargs):
    training = Training(data, net, settings(name, hyper, epochs=epochs, **kwargs))
    return [net.theta.copy() for epoch in training.run() if epoch > 0]


@pytest.mark.parametrize(("name", "hyper"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_full_batch_training_follows_torch_optim(torch, name, hyper):
    data = datasets.split(datasets.generate("moons", 60, 0.2, seed=1), 0.0)
    ours = our_path(MLP.initialised([6, 5], "tanh", seed=2), data, name, hyper, 8, l2=0.01)
    theirs = torch_path(torch, MLP.initialised([6, 5], "tanh", seed=2), data, name, hyper, 8, 0.01)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_minibatch_training_follows_torch_optim_with_the_same_shuffles(torch):
    data = datasets.split(datasets.generate("circle", 50, 0.1, seed=4), 0.0)
    epochs, batch_size, seed = 4, 16, 9
    rng = np.random.default_rng(seed)  # the shuffles our run makes, replayed for torch
    batches = []
    for _ in range(epochs):
        order = rng.permutation(50)
        batches.append([order[i : i + batch_size] for i in range(0, 50, batch_size)])
    hyper = {"lr": 0.1, "momentum": 0.9}
    net = MLP.initialised([5], "tanh", seed=3)
    ours = our_path(net, data, "sgd", hyper, epochs, batch_size=batch_size, seed=seed)
    theirs = torch_path(torch, MLP.initialised([5], "tanh", seed=3), data, "sgd", hyper, epochs,
                        batches=batches)  # fmt: skip
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_changing_the_learning_rate_mid_run_keeps_network_and_state(torch):
    """set_optimizer with new hyperparameters is torch's param_group['lr'] = …"""
    data = datasets.split(datasets.generate("xor", 40, 0.1, seed=0), 0.0)
    net = MLP.initialised([4], "tanh", seed=1)
    training = Training(data, net, settings("adam", {"lr": 0.01}, epochs=6))
    loop = training.run()
    for _ in range(4):  # epochs 0..3
        next(loop)
    training.set_optimizer("adam", optim.resolve("adam", {"lr": 0.2}))
    for _ in loop:
        pass

    reference = MLP.initialised([4], "tanh", seed=1)
    params = []
    for W, b in zip(reference.W, reference.b, strict=True):
        params += [
            torch.tensor(W.copy(), requires_grad=True),
            torch.tensor(b.copy(), requires_grad=True),
        ]
    optimizer = torch.optim.Adam(params, lr=0.01)
    x, y = torch.tensor(data.train.x), torch.tensor(data.train.y)
    for step in range(6):
        if step == 3:
            optimizer.param_groups[0]["lr"] = 0.2
        optimizer.zero_grad()
        out = (torch.tanh(x @ params[0] + params[1]) @ params[2] + params[3])[:, 0]
        torch.nn.functional.binary_cross_entropy_with_logits(out, y).backward()
        optimizer.step()
    expected = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.testing.assert_allclose(net.theta, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "hidden", "epochs", "goal"),
    [
        ("xor", None, 300, 0.95),
        ("circle", None, 300, 0.95),
        ("gauss", None, 300, 0.95),
        ("spiral", [16, 16], 500, 0.90),
    ],  # fmt: skip
)
@pytest.mark.parametrize("seed", [0, 1])
def test_default_settings_learn_the_datasets(client, name, hidden, epochs, goal, seed):
    """Default dataset (200 points, noise 0.1), tanh network, Adam lr 0.03, full batch."""
    body = {"dataset": {"name": name, "seed": seed}, "epochs": epochs, "record_every": epochs}
    if hidden:
        body["network"] = {"hidden": hidden, "seed": seed}
    response = client.post("/api/train", json=body)
    assert response.status_code == 200
    final = response.json()["history"][-1]
    assert final["epoch"] == epochs
    assert final["train_accuracy"] >= goal


def test_vanishing_gradients_in_a_deep_sigmoid_network():
    """The first layer of a deep sigmoid net learns orders of magnitude slower than the last;
    a tanh net of the same shape does not vanish nearly as much."""
    data = datasets.split(datasets.generate("circle", 200, 0.1), 0.0)

    def first_to_last(activation: str) -> float:
        net = MLP.initialised([8] * 6, activation, seed=0)
        layers = next(history(Training(data, net, settings(epochs=1))))["layers"]
        return layers[0]["weight_grad_norm"] / layers[-1]["weight_grad_norm"]

    assert first_to_last("sigmoid") < 1e-3
    assert first_to_last("tanh") > 100 * first_to_last("sigmoid")


def test_a_diverging_run_stops_at_its_last_finite_weights():
    data = datasets.split(datasets.generate("plane", 100, 0.1), 0.0)
    net = MLP.initialised([8, 8], "relu", seed=0)
    result = train(data, net, settings("sgd", {"lr": 50.0}, epochs=200))
    assert result["status"] == "diverged"
    history_ = result["history"]
    assert 1 <= len(history_) < 201
    assert history_[-1]["epoch"] == result["epochs_trained"]
    for record in history_:
        assert np.isfinite(record["train_loss"])
    weights = np.concatenate([np.ravel(layer["W"]) for layer in result["weights"]])
    assert np.all(np.isfinite(weights))


def test_records_every_nth_epoch_and_the_last():
    data = datasets.split(datasets.generate("xor", 50, 0.1), 0.2)
    result = train(data, MLP.initialised([3], "tanh"), settings(epochs=25, record_every=10))
    assert [r["epoch"] for r in result["history"]] == [0, 10, 20, 25]
    record = result["history"][-1]
    assert set(record) == {
        "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "layers", "verdict"
    }  # fmt: skip
    assert [layer["layer"] for layer in record["layers"]] == [1, 2]
    assert set(record["layers"][0]) == {
        "layer",
        "weight_grad_norm",
        "bias_grad_norm",
        "weight_norm",
    }


def test_the_same_request_gives_the_same_run():
    data = datasets.split(datasets.generate("spiral", 80, 0.2, seed=2), 0.25, seed=2)
    first = train(data, MLP.initialised([6], "relu", seed=3), settings(epochs=20, batch_size=10))
    again = train(data, MLP.initialised([6], "relu", seed=3), settings(epochs=20, batch_size=10))
    assert first == again
