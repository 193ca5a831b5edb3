"""WS /ws/train: the live session (start, pause, step, set, stop, errors, pacing, closing)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app import optim
from app.api import live
from app.nets import datasets
from app.nets import live as live_session
from app.nets.mlp import MLP
from app.nets.train import Training, TrainSettings
from tests.conftest import strict_json

START = {
    "type": "start",
    "dataset": {"name": "xor", "n": 60, "seed": 1},
    "network": {"hidden": [4], "activation": "tanh", "seed": 2},
    "epochs": 60,
}


def receive(ws) -> dict:
    return strict_json(ws.receive_text())


def receive_until(ws, kind: str) -> list[dict]:
    """Messages up to and including the first of type ``kind``."""
    messages = []
    while not messages or messages[-1]["type"] != kind:
        messages.append(receive(ws))
    return messages


def test_a_session_streams_every_epoch_and_ends_like_the_batch_run(client):
    train_body = {key: value for key, value in START.items() if key != "type"}
    batch = strict_json(client.post("/api/train", json=train_body).text)
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "boundary_resolution": 5})
        opening = [receive(ws) for _ in range(3)]
        assert [m["type"] for m in opening] == ["start", "epoch", "state"]
        assert opening[1]["epoch"] == 0 and opening[2] == {
            "type": "state",
            "running": True,
            "epoch": 0,
        }
        messages = receive_until(ws, "done")
        assert receive(ws) == {"type": "state", "running": False, "epoch": 60}
    epochs = [m for m in [opening[1], *messages] if m["type"] == "epoch"]
    recorded = [record["epoch"] for m in epochs for record in m["history"]]
    assert recorded == list(range(61))  # every epoch once, in order, across the messages
    assert all(np.shape(m["boundary"]) == (5, 5) for m in epochs)
    assert all("boundary" not in record for m in epochs for record in m["history"])
    last = epochs[-1]
    assert last["epoch"] == 60
    assert last["train_loss"] == batch["history"][-1]["train_loss"]
    assert last["history"][-1] == {
        k: v for k, v in last.items() if k not in ("type", "boundary", "history")
    }
    done = messages[-1]
    assert done["status"] == "completed" and done["weights"] == batch["weights"]


def test_pause_step_and_resume(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "paused": True, "epochs": 30})
        assert [receive(ws)["type"] for _ in range(3)] == ["start", "epoch", "state"]
        ws.send_json({"type": "step", "epochs": 3})
        stepped = receive(ws)
        assert stepped["type"] == "epoch" and stepped["epoch"] == 3
        assert [r["epoch"] for r in stepped["history"]] == [1, 2, 3]
        assert receive(ws) == {"type": "state", "running": False, "epoch": 3}
        ws.send_json({"type": "step", "epochs": 2})
        assert receive(ws)["epoch"] == 5
        assert receive(ws)["epoch"] == 5
        ws.send_json({"type": "resume"})
        assert receive(ws) == {"type": "state", "running": True, "epoch": 5}
        messages = receive_until(ws, "done")
        assert messages[-2]["epoch"] == 30
        ws.send_json({"type": "resume"})  # the run is over: an error, and the socket stays
        assert receive(ws)["type"] == "state"
        assert receive(ws)["type"] == "error"


def test_set_changes_the_learning_rate_without_resetting_the_network(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json(
            {**START, "paused": True, "epochs": 6, "optimizer": {"optimizer": "adam", "lr": 0.01}}
        )
        receive_until(ws, "state")
        ws.send_json({"type": "step", "epochs": 3})
        receive_until(ws, "state")
        ws.send_json({"type": "set", "lr": 0.2, "l2": 0.001})
        state = receive(ws)
        assert state["type"] == "state" and state["epoch"] == 3
        assert state["hyperparameters"]["lr"] == 0.2 and state["hyperparameters"]["betas"] == [
            0.9,
            0.999,
        ]
        assert state["l2"] == 0.001
        ws.send_json({"type": "step", "epochs": 3})
        done = receive_until(ws, "done")[-1]

    split = datasets.split(datasets.generate("xor", 60, 0.1, seed=1), 0.2, seed=1)
    net = MLP.initialised([4], "tanh", seed=2)
    hyper = optim.resolve("adam", {"lr": 0.01})
    training = Training(split, net, TrainSettings("adam", hyper, epochs=6, seed=2))
    loop = training.run()
    for _ in range(4):
        next(loop)
    training.set_optimizer("adam", optim.resolve("adam", {"lr": 0.2}))
    training.set_l2(0.001)
    list(loop)
    assert done["weights"] == net.weights()


@pytest.mark.parametrize(
    ("message", "loc"),
    [
        ("not json", []),
        ('{"type": "fly"}', ["type"]),
        ('{"type": "pause"}', ["type"]),  # nothing started yet
        ('{"type": "start", "dataset": {"name": "xor"}, "epochs": 0}', ["epochs"]),
        ('{"type": "start", "dataset": {"name": "nope"}}', ["dataset", "name"]),
    ],
)
def test_bad_messages_get_an_error_and_the_session_stays(client, message, loc):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_text(message)
        error = receive(ws)
        assert error["type"] == "error" and error["detail"][0]["loc"] == loc
        ws.send_json({**START, "paused": True})
        assert receive(ws)["type"] == "start"


def test_bad_changes_mid_run_keep_the_run(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "paused": True})
        receive_until(ws, "state")
        for message, loc in [
            ({"type": "set", "lr": -1}, ["lr"]),
            ({"type": "set", "momentum": 0.9}, ["momentum"]),  # Adam has no momentum
            ({"type": "set", "optimizer": "adamax"}, ["optimizer"]),
            ({"type": "step", "epochs": 0}, ["epochs"]),
            ({"type": "pause", "now": True}, ["now"]),
        ]:
            ws.send_json(message)
            error = receive(ws)
            assert error["type"] == "error" and error["detail"][0]["loc"] == loc, error
        ws.send_json({"type": "step", "epochs": 1})
        assert receive(ws)["epoch"] == 1
        assert receive(ws) == {"type": "state", "running": False, "epoch": 1}
        ws.send_json({"type": "stop"})
        assert receive(ws) == {"type": "state", "running": False, "epoch": 1}
        ws.send_json({"type": "resume"})
        assert receive(ws)["detail"][0]["type"] == "no_session"


def test_messages_are_paced_and_carry_the_newest_boundary(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "epochs": 20000, "boundary_resolution": 10})
        receive_until(ws, "state")
        started, epochs = time.perf_counter(), []
        while time.perf_counter() - started < 1.0:
            message = receive(ws)
            assert message["type"] == "epoch" and np.shape(message["boundary"]) == (10, 10)
            epochs.append([record["epoch"] for record in message["history"]])
        elapsed = time.perf_counter() - started
    assert len(epochs) <= 31 * elapsed + 2  # at most ~30 messages a second
    flat = [epoch for batch in epochs for epoch in batch]
    assert flat == list(range(flat[0], flat[0] + len(flat)))  # nothing lost between messages
    assert max(len(batch) for batch in epochs) > 1  # several epochs per message


def test_closing_the_socket_stops_the_work(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "epochs": 20000})
        receive_until(ws, "state")
        receive(ws)
        assert len(live.connections) == 1
        (connection,) = live.connections
    deadline = time.perf_counter() + 2
    while live.connections and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert not live.connections
    epoch = connection.session.training.epoch
    time.sleep(0.2)
    assert connection.session.training.epoch == epoch < 20000


def test_a_paced_run_trains_at_its_pace_and_the_pace_can_change(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "epochs": 20000, "epochs_per_second": 20})
        receive_until(ws, "state")
        started, epoch = time.perf_counter(), 0
        while time.perf_counter() - started < 1.0:
            epoch = receive(ws)["epoch"]
        elapsed = time.perf_counter() - started
        assert 5 <= epoch <= 20 * elapsed + 6  # about 20 a second, not thousands
        ws.send_json({"type": "set", "epochs_per_second": 0})  # 0: as fast as it goes
        state = receive_until(ws, "state")[-1]
        assert state["epochs_per_second"] is None and state["hyperparameters"]["lr"] == 0.03
        while (message := receive(ws))["epoch"] < 500:
            assert message["type"] == "epoch"
        ws.send_json({"type": "set", "epochs_per_second": 5})
        receive_until(ws, "state")
        ws.send_json({"type": "pause"})
        paused = receive_until(ws, "state")[-1]["epoch"]
        ws.send_json({"type": "step", "epochs": 40})  # a step is never paced
        assert receive(ws)["epoch"] == paused + 40


def test_weights_on_request_are_the_current_weights_and_gradient(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "paused": True, "l2": 0.01})
        receive_until(ws, "state")
        ws.send_json({"type": "step", "epochs": 7})
        receive_until(ws, "state")
        ws.send_json({"type": "weights"})
        snapshot = receive(ws)
        ws.send_json({"type": "set", "l2": 0.5})  # a new objective: its gradient is measured anew
        receive(ws)
        ws.send_json({"type": "weights"})
        after = receive(ws)
        ws.send_json({"type": "stop"})
        receive(ws)
        ws.send_json({"type": "weights"})
        assert receive(ws)["detail"][0]["type"] == "no_session"

    assert snapshot["type"] == "weights" and snapshot["epoch"] == 7
    split = datasets.split(datasets.generate("xor", 60, 0.1, seed=1), 0.2, seed=1)
    training = Training(
        split,
        MLP.initialised([4], "tanh", seed=2),
        TrainSettings("adam", optim.resolve("adam", {"lr": 0.03}), epochs=60, l2=0.01, seed=2),
    )
    loop = training.run()
    for _ in range(8):
        next(loop)
    assert snapshot["weights"] == training.weights()
    net = training.net
    for l2, reply in ((0.01, snapshot), (0.5, after)):
        net.loss_and_gradient(split.train.x, split.train.y, "classification", l2)
        assert [g["W"] for g in reply["gradients"]] == [w.tolist() for w in net.dW]
        assert [g["b"] for g in reply["gradients"]] == [b.tolist() for b in net.db]
    assert after["weights"] == snapshot["weights"]


# --- what each unit computes, live ---------------------------------------------------------


def test_unit_maps_come_a_few_times_a_second_and_whenever_the_run_rests(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "epochs": 20000, "unit_resolution": 6, "boundary_resolution": 4})
        start, first, _ = (receive(ws) for _ in range(3))
        assert len(start["unit_grid"]["x"]) == 6
        assert start["unit_grid"]["x"][0] == start["grid"]["x"][0]  # the same box
        assert np.shape(first["units"]) == (1, 4, 6, 6)  # epoch 0 carries its maps
        started, messages = time.perf_counter(), []
        while time.perf_counter() - started < 1.5:
            messages.append(receive(ws))
        elapsed = time.perf_counter() - started
        with_units = [m for m in messages if "units" in m]
        assert all(np.shape(m["boundary"]) == (4, 4) for m in messages)
        assert 1 <= len(with_units) <= elapsed / live_session.UNIT_MAPS_INTERVAL + 2
        assert len(with_units) < len(messages)  # the others go without
        ws.send_json({"type": "pause"})
        receive_until(ws, "state")
        ws.send_json({"type": "step", "epochs": 2})
        stepped = receive_until(ws, "state")
        assert "units" in [m for m in stepped if m["type"] == "epoch"][-1]


def test_a_paused_network_gets_its_unit_maps(client):
    """After a pause the page has the maps of the epoch it rests at: the last epoch message
    carried them, or the server sends that epoch again (with no history) with them."""
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "epochs": 20000, "unit_resolution": 3})
        sent = receive_until(ws, "state")
        while "units" in sent[-1]:
            sent.append(receive(ws))  # until a message goes without its maps
        ws.send_json({"type": "pause"})
        sent += receive_until(ws, "state")
        ws.send_json({"type": "weights"})
        after = receive_until(ws, "weights")
    last = [m for m in sent if m["type"] == "epoch"][-1]
    if "units" in last:
        assert len(after) == 1
    else:
        resent, _ = after
        assert resent["type"] == "epoch" and resent["history"] == []
        assert resent["epoch"] == last["epoch"] == sent[-1]["epoch"]
        last = resent
    W, b = np.array(after[-1]["weights"][0]["W"]), np.array(after[-1]["weights"][0]["b"])
    grid = np.linspace(-datasets.BOX, datasets.BOX, 3)
    xx, yy = np.meshgrid(grid, grid)
    hidden = np.tanh(np.column_stack([xx.ravel(), yy.ravel()]) @ W + b)
    np.testing.assert_allclose(last["units"][0], hidden.T.reshape(4, 3, 3), atol=0.5e-4)


def test_too_many_unit_map_values_for_one_message_is_an_error(client):
    with client.websocket_connect("/ws/train") as ws:
        ws.send_json({**START, "network": {"hidden": [64] * 8}, "unit_resolution": 48})
        error = receive(ws)
        assert error["type"] == "error" and error["detail"][0]["loc"] == ["unit_resolution"]
        assert "MAX_UNIT_VALUES_PER_RECORD" in error["detail"][0]["msg"]
