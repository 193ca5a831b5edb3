"""Training verdicts (API.md, "Networks: verdicts"): each test, on made-up loss curves and on
the runs the network page suggests, and the vanishing-gradient experiment that shows it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app import optim
from app.nets import datasets, verdicts
from app.nets.mlp import MLP
from app.nets.train import Training, TrainSettings, history
from app.nets.verdicts import LossWindow, baseline_loss
from tests.conftest import strict_json

LN2 = math.log(2)

# The vanishing-gradient experiment of the network page: six sigmoid layers of 8 on the
# circle, plain SGD at lr 0.5 with minibatches of 16 (seed 0), against the same network
# with tanh or ReLU. The page's preset uses these settings (README, "Training verdicts").
VANISHING = {
    "dataset": {"name": "circle", "n": 200, "noise": 0.1, "seed": 0, "test_fraction": 0.2},
    "network": {"hidden": [8] * 6, "activation": "sigmoid", "seed": 0},
    "optimizer": {"optimizer": "sgd", "lr": 0.5},
    "batch_size": 16,
    "epochs": 2000,
}


def judged(losses, baseline=LN2, gradients=None) -> list[str]:
    """The verdict after each epoch of a made-up run."""
    window = LossWindow(baseline)
    gradients = gradients if gradients is not None else [1.0 / (1 + e) for e in range(len(losses))]
    said = []
    for loss, gradient in zip(losses, gradients, strict=True):
        window.add(loss, gradient)
        said.append(window.verdict())
    return said


def run(body: dict, **change) -> tuple[Training, list[dict]]:
    """A training run as POST /api/train would make it (without the HTTP)."""
    from app.api.net_schemas import TrainRequest

    request = TrainRequest.model_validate({**body, **change})
    training = Training(request.dataset.load(), request.network.build(), request.settings())
    return training, list(history(training))


# --- the tests, on made-up curves ------------------------------------------------------


def test_the_baseline_is_the_loss_of_knowing_only_the_average():
    assert baseline_loss("classification", np.array([0, 1, 1, 0.0])) == pytest.approx(LN2)
    share = 0.25
    expected = -share * math.log(share) - (1 - share) * math.log(1 - share)
    assert baseline_loss("classification", np.array([1, 0, 0, 0.0])) == pytest.approx(expected)
    assert baseline_loss("regression", np.array([1.0, 3.0])) == pytest.approx(1.0)
    assert baseline_loss("classification", np.ones(5)) == 0.0


def test_a_falling_loss_is_learning_and_a_fitted_flat_one_with_a_small_gradient_converged():
    epochs = np.arange(400)
    losses = 0.7 * np.exp(-epochs / 30) + 1e-3
    said = judged(losses)
    assert set(said[:100]) == {"learning"}
    assert said[-1] == "converged"
    # Flat and fitted, but the gradient is as large as ever: not converged yet.
    assert judged(losses, gradients=[1.0] * 400)[-1] == "learning"


def test_a_flat_loss_at_the_baseline_has_stalled():
    rng = np.random.default_rng(0)
    said = judged(LN2 + 0.01 * rng.random(300))  # minibatch jitter on a flat loss
    assert said[verdicts.MIN_EPOCHS - 1] == "learning"  # too early to tell
    assert set(said[60:]) == {"stalled"}


def test_a_thrashing_loss_is_unstable_and_so_is_one_blowing_up():
    rng = np.random.default_rng(1)
    thrash = np.exp(rng.uniform(0, np.log(27), 200))  # loss between 1 and 27, as at lr 10
    said = judged(thrash)
    assert set(said[5:]) == {"unstable"}
    blowing_up = 0.7 * 1.05 ** np.arange(60)
    assert judged(blowing_up)[-1] == "unstable"


def test_spikes_are_thrashing_only_when_they_are_large_against_the_baseline():
    rng = np.random.default_rng(2)
    jitter = 0.02 * (1 + rng.random(300))  # a small loss jumping ±50%: minibatch noise
    assert "unstable" not in judged(jitter)
    spikes = jitter.copy()
    spikes[100:150:10] = 0.9  # five jumps by more than half of ln 2 in 50 epochs
    said = judged(spikes)
    assert said[141] == "unstable" and said[-1] != "unstable"


def test_a_new_verdict_holds_a_few_epochs_before_it_is_said_except_unstable():
    losses = list(0.7 * np.exp(-np.arange(200) / 20) + 1e-3)
    said = judged(losses)
    first = said.index("converged")
    raw = LossWindow(LN2)
    for loss, gradient in zip(losses, [1.0 / (1 + e) for e in range(200)], strict=True):
        raw.add(loss, gradient)
        if raw.judge() == "converged":
            break
    assert first == raw.epochs + verdicts.HOLD - 1


def test_a_diverged_run_is_diverged_whatever_its_loss_said():
    window = LossWindow(LN2)
    window.add(0.5, 1.0)
    assert window.verdict("diverged") == "diverged"
    assert window.verdict("running") == "learning"


def test_the_window_stays_small_however_long_the_run():
    """A verdict costs the same at epoch 20,000 as at epoch 60: nothing grows with the run."""
    window = LossWindow(LN2)
    for epoch in range(5000):
        window.add(1 / (1 + epoch), 1 / (1 + epoch))
    assert len(window.losses) == verdicts.WINDOW + 1
    assert len(window.gradients) <= verdicts.WINDOW


# --- the runs the page suggests --------------------------------------------------------


def test_six_sigmoid_layers_stall_where_tanh_and_relu_learn_with_plain_gradient_descent():
    """The issue's run: full-batch SGD at lr 0.5 for 2,000 epochs."""
    full_batch = {**VANISHING, "batch_size": None}
    training, records = run(full_batch)
    assert training.verdict == "stalled"
    final = records[-1]
    assert abs(final["train_loss"] - LN2) < 0.01 and final["train_accuracy"] < 0.6
    assert {r["verdict"] for r in records[100:]} == {"stalled"}
    for activation in ("tanh", "relu"):
        training, records = run(
            full_batch, network={**VANISHING["network"], "activation": activation}
        )
        assert records[-1]["train_accuracy"] >= 0.99
        assert training.verdict in ("converged", "learning")


def test_the_vanishing_gradient_preset_stalls_with_the_first_layer_lowest():
    """While the sigmoid network stalls, layer 1's gradient is the lowest of all layers at
    every epoch, and on the log-scale chart its line sits at least 100× below the top one."""
    training, records = run(VANISHING)
    assert training.verdict == "stalled"
    stalled = [r for r in records if r["verdict"] == "stalled"]
    assert stalled[0]["epoch"] <= 50 and len(stalled) >= 1900
    assert max(r["train_accuracy"] for r in stalled) < 0.6
    norms = np.array([[layer["weight_grad_norm"] for layer in r["layers"]] for r in stalled])
    assert np.all(norms.argmin(axis=1) == 0)
    ratios = norms.max(axis=1) / norms[:, 0]
    assert np.median(ratios) >= 100 and np.mean(ratios >= 100) >= 0.9
    level = np.exp(np.log(norms).mean(axis=0))  # each line's height on the log chart
    assert level.argmin() == 0 and level.max() / level[0] >= 100

    for activation in ("tanh", "relu"):
        other = {**VANISHING["network"], "activation": activation}
        training, records = run(VANISHING, network=other, epochs=400)
        assert records[-1]["train_accuracy"] == 1.0
        assert training.verdict == "converged"


def test_adam_hides_the_vanishing_gradient():
    """Adam rescales each weight's step by its own gradient's size: the same network learns."""
    training, records = run(VANISHING, optimizer={"optimizer": "adam", "lr": 0.03}, epochs=400)
    assert records[-1]["train_accuracy"] >= 0.95
    assert training.verdict in ("converged", "learning")


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_learning_rate_of_10_on_the_default_network_is_unstable(optimizer):
    """The page's default network (spiral, 16 × 16 tanh) at lr 10 thrashes: unstable, always."""
    body = {
        "dataset": {"name": "spiral"},
        "network": {"hidden": [16, 16], "activation": "tanh", "seed": 0},
        "optimizer": {"optimizer": optimizer, "lr": 10},
        "epochs": 600,
    }
    training, records = run(body)
    assert training.status == "completed" and training.verdict == "unstable"
    assert {r["verdict"] for r in records[1:]} == {"unstable"}
    losses = [r["train_loss"] for r in records]
    assert max(losses[100:]) > 2 * min(losses[100:])  # it really is thrashing


@pytest.mark.parametrize(
    ("dataset", "hidden"),
    [("gauss", [2]), ("xor", [4]), ("circle", [4]), ("plane", [3])],
)
def test_tiny_networks_that_fit_converge(dataset, hidden):
    body = {
        "dataset": {"name": dataset, "n": 100},
        "network": {"hidden": hidden, "activation": "tanh", "seed": 1},
        "optimizer": {"optimizer": "adam", "lr": 0.05},
        "epochs": 1000,
    }
    training, records = run(body)
    assert training.verdict == "converged"
    assert records[-1]["train_loss"] < 0.1 * training.window.baseline


def test_a_run_whose_loss_stops_being_finite_is_diverged():
    body = {
        "dataset": {"name": "plane", "n": 100},
        "network": {"hidden": [8, 8], "activation": "relu"},
        "optimizer": {"optimizer": "sgd", "lr": 1000},
        "epochs": 500,
    }
    training, records = run(body)
    assert training.status == training.verdict == "diverged"
    assert records[-1]["verdict"] == "unstable"  # the last finite epoch: blowing up


def test_a_too_small_learning_rate_has_stalled():
    body = {
        "dataset": {"name": "spiral"},
        "network": {"hidden": [16, 16], "seed": 0},
        "optimizer": {"optimizer": "sgd", "lr": 1e-3},
        "epochs": 1000,
    }
    training, _ = run(body)
    assert training.verdict == "stalled"


# --- where the verdict is said --------------------------------------------------------

SMALL = {
    "dataset": {"name": "gauss", "n": 60, "seed": 1},
    "network": {"hidden": [3], "activation": "tanh", "seed": 2},
    "optimizer": {"optimizer": "adam", "lr": 0.1},
    "epochs": 200,
    "record_every": 20,
}


def test_every_record_the_batch_reply_and_the_stream_say_the_verdict(client):
    batch = strict_json(client.post("/api/train", json=SMALL).text)
    assert batch["verdict"] == "converged"
    assert all(r["verdict"] in verdicts.VERDICTS for r in batch["history"])
    assert batch["history"][0]["verdict"] == "learning"
    assert batch["history"][-1]["verdict"] == "converged"
    lines = [
        strict_json(line) for line in client.post("/api/train/stream", json=SMALL).text.split()
    ]
    assert lines[0]["baseline_loss"] == pytest.approx(LN2, rel=0.01)
    assert [line["verdict"] for line in lines if line["type"] == "epoch"] == [
        r["verdict"] for r in batch["history"]
    ]
    assert lines[-1]["type"] == "done" and lines[-1]["verdict"] == "converged"


def test_every_live_epoch_message_says_the_verdict(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "start", **SMALL, "record_every": 1})
        messages = []
        while not messages or messages[-1]["type"] != "done":
            messages.append(strict_json(ws.receive_text()))
    epochs = [m for m in messages if m["type"] == "epoch"]
    assert all(m["verdict"] in verdicts.VERDICTS for m in epochs)
    recorded = [r["verdict"] for m in epochs for r in m["history"]]
    assert recorded[0] == "learning" and recorded[-1] == "converged" and len(recorded) == 201
    assert epochs[-1]["verdict"] == "converged" and messages[-1]["verdict"] == "converged"


def test_the_live_verdict_follows_a_learning_rate_change(client):
    """Raise the rate mid-run to 10: the messages then say unstable."""
    body = {**SMALL, "dataset": {"name": "spiral"}, "network": {"hidden": [16, 16]}}

    def step(ws, epochs: int) -> dict:
        """The last epoch message of a step."""
        ws.send_json({"type": "step", "epochs": epochs})
        messages = [strict_json(ws.receive_text())]
        while messages[-1]["type"] != "state":
            messages.append(strict_json(ws.receive_text()))
        return [m for m in messages if m["type"] == "epoch"][-1]

    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({"type": "start", **body, "epochs": 400, "paused": True})
        while strict_json(ws.receive_text())["type"] != "state":
            pass
        stepped = step(ws, 100)
        assert stepped["epoch"] == 100 and stepped["verdict"] != "unstable"
        ws.send_json({"type": "set", "lr": 10})
        strict_json(ws.receive_text())
        assert step(ws, 60)["verdict"] == "unstable"


def test_training_settings_default_to_no_unit_maps():
    settings = TrainSettings(optimizer="sgd", hyperparameters=optim.resolve("sgd", {}))
    assert settings.unit_resolution == 0
    data = datasets.split(datasets.generate("xor", 20), 0.0)
    training = Training(data, MLP.initialised([2], "tanh"), settings)
    assert "units" not in next(history(training))
