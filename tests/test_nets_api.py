"""The network endpoints of API.md: shapes, strict JSON, bounds, and the stream equal to the batch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app import limits
from app.nets import datasets, gradcheck
from tests.conftest import strict_json

SMALL = {
    "dataset": {"name": "xor", "n": 60, "seed": 1},
    "network": {"hidden": [4], "activation": "tanh", "seed": 2},
    "epochs": 12,
}


def post(client, path: str, body: dict, status: int = 200):
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return strict_json(response.text)


def error_locs(body: dict) -> list[list]:
    return [error["loc"] for error in body["detail"]]


# --- datasets ------------------------------------------------------------------


def test_list_datasets(client):
    listed = strict_json(client.get("/api/datasets").text)
    tasks = {d["name"]: d["task"] for d in listed}
    for name in ["circle", "xor", "gauss", "spiral", "moons"]:
        assert tasks[name] == "classification"
    assert tasks["plane"] == tasks["sine"] == "regression"
    assert all(d["title"] and d["description"] for d in listed)


@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_a_dataset_is_deterministic_for_its_seed_and_stays_in_the_box(client, name):
    url = f"/api/datasets/{name}?n=101&noise=0.3&seed=4"
    first, again = strict_json(client.get(url).text), strict_json(client.get(url).text)
    assert first == again
    other = strict_json(client.get(f"/api/datasets/{name}?n=101&noise=0.3&seed=5").text)
    assert other["x"] != first["x"]
    x, y = np.array(first["x"]), np.array(first["y"])
    assert x.shape == (101, 2) and y.shape == (101,)
    assert np.all(np.abs(x) <= datasets.BOX)
    if datasets.DATASETS[name].task == "classification":
        assert set(y) <= {0.0, 1.0} and 40 <= y.sum() <= 61


def test_separable_datasets_are_labelled_by_their_rule():
    circle = datasets.generate("circle", 300, 0.2, seed=1)
    inside = np.hypot(*circle.x.T) < 3
    assert np.array_equal(circle.y == 1, inside)
    xor = datasets.generate("xor", 300, 0.2, seed=1)
    assert np.array_equal(xor.y == 1, xor.x[:, 0] * xor.x[:, 1] > 0)


def test_split_holds_out_the_test_fraction():
    data = datasets.generate("moons", 50, 0.1)
    split = datasets.split(data, 0.3, seed=2)
    assert (len(split.train), len(split.test)) == (35, 15)
    together = np.concatenate([split.train.x, split.test.x])
    assert sorted(map(tuple, together)) == sorted(map(tuple, data.x))


def test_unknown_dataset_is_404_in_the_path_and_422_in_a_body(client):
    assert client.get("/api/datasets/nope").status_code == 404
    body = post(client, "/api/train", {**SMALL, "dataset": {"name": "nope"}}, 422)
    assert error_locs(body) == [["body", "dataset", "name"]]


def test_dataset_query_bounds(client):
    too_many = limits.MAX_DATASET_POINTS + 1
    assert client.get(f"/api/datasets/xor?n={too_many}").status_code == 422
    assert client.get("/api/datasets/xor?noise=-1").status_code == 422


# --- training --------------------------------------------------------------------


def test_train_returns_the_records_of_api_md(client):
    body = {**SMALL, "record_every": 5, "boundary_resolution": 7, "l2": 0.01}
    result = post(client, "/api/train", body)
    assert result["status"] == "completed"
    assert [r["epoch"] for r in result["history"]] == [0, 5, 10, 12]
    record = result["history"][-1]
    for key in ["train_loss", "test_loss", "train_accuracy", "test_accuracy"]:
        assert isinstance(record[key], float)
    assert [layer["layer"] for layer in record["layers"]] == [1, 2]
    boundary = np.array(record["boundary"])
    assert boundary.shape == (7, 7) and np.all((0 <= boundary) & (boundary <= 1))
    assert len(result["grid"]["x"]) == 7 and result["grid"]["x"][0] == -datasets.BOX
    shapes = [(np.shape(layer["W"]), np.shape(layer["b"])) for layer in result["weights"]]
    assert shapes == [((2, 4), (4,)), ((4, 1), (1,))]


def test_regression_has_no_accuracy(client):
    body = {**SMALL, "dataset": {"name": "sine", "n": 40}, "boundary_resolution": 3}
    record = post(client, "/api/train", body)["history"][-1]
    assert record["train_accuracy"] is None and record["test_accuracy"] is None
    assert record["train_loss"] > 0


def test_inline_points_and_explicit_weights(client):
    body = {
        "dataset": {
            "x": [[0, 0], [1, 1], [1, 0], [0, 1]],
            "y": [0, 0, 1, 1],
            "task": "classification",
        },
        "network": {
            "weights": [{"W": [[1, -1], [-1, 1]], "b": [0, 0]}, {"W": [[1], [1]], "b": [-0.5]}],
            "activation": "relu",
        },
        "optimizer": {"optimizer": "sgd", "lr": 0.1},
        "epochs": 3,
    }
    result = post(client, "/api/train", body)
    first = result["history"][0]
    assert first["test_loss"] is None  # inline points all train unless test_fraction is given
    # Epoch 0 is the given network: relu(x₁−x₂) + relu(x₂−x₁) − 0.5 = |x₁ − x₂| − 0.5.
    logits = np.array([-0.5, -0.5, 0.5, 0.5])
    expected = np.mean(np.logaddexp(0, logits) - np.array([0, 0, 1, 1]) * logits)
    assert first["train_loss"] == pytest.approx(expected, rel=1e-14)
    assert first["train_accuracy"] == 1.0


def test_stream_is_the_batch_run_as_json_lines(client):
    body = {**SMALL, "record_every": 4, "boundary_resolution": 5}
    batch = post(client, "/api/train", body)
    response = client.post("/api/train/stream", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    lines = [strict_json(line) for line in response.text.splitlines()]
    assert lines[0]["type"] == "start"
    assert lines[0]["parameters"] == 2 * 4 + 4 + 4 + 1
    assert len(lines[0]["train"]["x"]) == 48 and len(lines[0]["test"]["x"]) == 12
    epochs = [line for line in lines if line["type"] == "epoch"]
    assert [{k: v for k, v in e.items() if k != "type"} for e in epochs] == batch["history"]
    assert lines[-1] == {
        "type": "done",
        "status": "completed",
        "verdict": batch["verdict"],
        "epochs_trained": 12,
        "weights": batch["weights"],
    }


def test_a_diverging_run_is_reported_in_strict_json(client):
    body = {
        "dataset": {"name": "plane", "n": 100},
        "network": {"hidden": [8, 8], "activation": "relu"},
        "optimizer": {"optimizer": "sgd", "lr": 1000},
        "epochs": 500,
        "boundary_resolution": 10,
    }
    result = post(client, "/api/train", body)  # strict_json refuses NaN and Infinity
    assert result["status"] == "diverged"
    assert result["history"][-1]["epoch"] == result["epochs_trained"] < 500
    streamed = client.post("/api/train/stream", json=body).text.splitlines()
    assert strict_json(streamed[-1])["status"] == "diverged"
    landscape = client.post("/api/network/landscape", json={**body, "resolution": 5})
    assert strict_json(landscape.text)["status"] == "diverged"


# --- bounds and bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"epochs": limits.MAX_EPOCHS + 1}, ["body", "epochs"]),
        ({"epochs": 0}, ["body", "epochs"]),
        (
            {"boundary_resolution": limits.MAX_BOUNDARY_RESOLUTION + 1},
            ["body", "boundary_resolution"],
        ),
        (
            {"network": {"hidden": [4] * (limits.MAX_HIDDEN_LAYERS + 1)}},
            ["body", "network", "hidden"],
        ),
        ({"network": {"hidden": [limits.MAX_HIDDEN_UNITS + 1]}}, ["body", "network", "hidden", 0]),
        ({"network": {"hidden": [4], "activation": "swish"}}, ["body", "network", "activation"]),
        (
            {"dataset": {"name": "xor", "n": limits.MAX_DATASET_POINTS + 1}},
            ["body", "dataset", "n"],
        ),
        ({"dataset": {"name": "xor", "x": [[0, 0], [1, 1]]}}, ["body", "dataset", "x"]),
        (
            {"dataset": {"x": [[0, 0], [1, 1]], "y": [0, 2], "task": "classification"}},
            ["body", "dataset", "y", 1],
        ),  # fmt: skip
        (
            {"dataset": {"x": [[0, 0], [1, 1]], "y": [0], "task": "regression"}},
            ["body", "dataset", "y"],
        ),
        (
            {"dataset": {"x": [[0, 0, 0], [1, 1]], "y": [0, 1], "task": "regression"}},
            ["body", "dataset", "x", 0],
        ),  # fmt: skip
        (
            {"network": {"weights": [{"W": [[1, 2]], "b": [0, 0]}]}},
            ["body", "network", "weights", 0, "W"],
        ),
        (
            {"network": {"weights": [{"W": [[1], [2]], "b": [0, 0]}]}},
            ["body", "network", "weights", 0, "b"],
        ),
        ({"optimizer": {"optimizer": "adam", "momentum": 0.9}}, ["body", "optimizer", "momentum"]),
        ({"optimizer": {"optimizer": "adamax"}}, ["body", "optimizer", "optimizer"]),
        ({"l2": -1}, ["body", "l2"]),
        ({"batch_size": 0}, ["body", "batch_size"]),
        ({"epochs_": 3}, ["body", "epochs_"]),
    ],
)
def test_bad_train_requests_are_422_naming_the_field(client, change, loc):
    body = post(client, "/api/train", {**SMALL, **change}, 422)
    assert loc in error_locs(body)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"epochs": "10"}, ["body", "epochs"]),
        ({"epochs": True}, ["body", "epochs"]),
        ({"epochs": 10.0}, ["body", "epochs"]),
        ({"l2": "0.1"}, ["body", "l2"]),
        ({"boundary_resolution": False}, ["body", "boundary_resolution"]),
        ({"dataset": {"name": "xor", "n": "60"}}, ["body", "dataset", "n"]),
        ({"dataset": {"name": "xor", "noise": "0.1"}}, ["body", "dataset", "noise"]),
        ({"network": {"hidden": ["4"]}}, ["body", "network", "hidden", 0]),
        ({"network": {"hidden": [4], "seed": True}}, ["body", "network", "seed"]),
        (
            {"dataset": {"x": [[0, 0], ["1", 1]], "y": [0, 1], "task": "regression"}},
            ["body", "dataset", "x", 1, 0],
        ),
        (
            {"network": {"weights": [{"W": [[True], [2]], "b": [0]}]}},
            ["body", "network", "weights", 0, "W", 0, 0],
        ),
    ],
)
def test_types_are_strict(client, change, loc):
    """JSON's own types only: a string is not a number, true is not 1, 10.0 is not an integer."""
    body = post(client, "/api/train", {**SMALL, **change}, 422)
    assert loc in error_locs(body)


def test_a_float_field_takes_a_json_integer(client):
    inline = {"x": [[0, 0], [1, 1], [1, 0], [0, 1]], "y": [0, 0, 1, 1], "task": "classification"}
    weights = [{"W": [[1, -1], [2, 0]], "b": [0, 1]}, {"W": [[1], [1]], "b": [0]}]
    body = {**SMALL, "dataset": inline, "network": {"weights": weights}, "l2": 0}
    assert post(client, "/api/train", body)["status"] == "completed"
    body = {**SMALL, "dataset": {"name": "xor", "noise": 0}, "epsilon": 1}
    del body["epochs"]
    assert post(client, "/api/network/gradients", body)["parameters"] == 17


def test_inline_points_are_bounded():
    from app.api.net_schemas import DatasetSpec

    points = [[0.0, 0.0]] * (limits.MAX_DATASET_POINTS + 1)
    with pytest.raises(ValueError, match=str(limits.MAX_DATASET_POINTS)):
        DatasetSpec(x=points, y=[0.0] * len(points), task="regression")


def test_non_finite_input_is_422(client):
    text = json.dumps({**SMALL, "l2": 0.1}).replace("0.1", "NaN")
    response = client.post("/api/train", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    strict_json(response.text)
    text = json.dumps(
        {**SMALL, "dataset": {"x": [[0, 0], [1, 1]], "y": [0, 1], "task": "regression"}}
    ).replace("[1, 1]", "[1, Infinity]")
    response = client.post("/api/train", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("change", "bound"),
    [
        (
            {
                "dataset": {"name": "spiral", "n": 5000},
                "network": {"hidden": [64] * 8},
                "epochs": 20000,
            },
            "MAX_NETWORK_WORK",
        ),  # fmt: skip
        (
            {"dataset": {"name": "spiral", "n": 5000}, "batch_size": 1, "epochs": 100},
            "MAX_OPTIMIZER_STEPS",
        ),  # fmt: skip
        ({"boundary_resolution": 100, "epochs": 1000}, "MAX_BOUNDARY_VALUES"),
    ],
)
def test_work_bounds_are_422_saying_the_bound(client, change, bound):
    body = post(client, "/api/train", {**SMALL, **change}, 422)
    assert bound in body["detail"][0]["msg"]


# --- gradients -------------------------------------------------------------------------


def test_gradients_side_by_side_with_finite_differences(client):
    body = {
        "network": {"hidden": [3, 2], "activation": "tanh", "seed": 1},
        "dataset": {"name": "moons", "n": 30, "test_fraction": 0},
        "l2": 0.01,
    }
    result = post(client, "/api/network/gradients", body)
    parameters = (2 + 1) * 3 + (3 + 1) * 2 + (2 + 1) * 1
    assert result["parameters"] == parameters
    assert result["cost"]["backprop"]["forward_passes"] == 1
    assert result["cost"]["backprop"]["backward_passes"] == 1
    assert result["cost"]["finite_difference"]["forward_passes"] == 2 * parameters
    assert result["cost"]["finite_difference"]["seconds"] > 0
    assert result["relative_error"] < 1e-7 and result["max_abs_difference"] < 1e-8
    for layer, (nin, nout) in zip(result["layers"], [(2, 3), (3, 2), (2, 1)], strict=True):
        assert np.shape(layer["grad_W"]) == np.shape(layer["fd_grad_W"]) == (nin, nout)
        assert np.shape(layer["grad_b"]) == np.shape(layer["fd_grad_b"]) == (nout,)
        np.testing.assert_allclose(layer["grad_W"], layer["fd_grad_W"], rtol=1e-5, atol=1e-8)

    # The same gradient as the training run's epoch 0 measures.
    first = post(client, "/api/train", {**body, "epochs": 1})["history"][0]
    norm = np.linalg.norm(result["layers"][0]["grad_W"])
    assert norm == pytest.approx(first["layers"][0]["weight_grad_norm"], rel=1e-12)
    assert result["loss"] > first["train_loss"]  # the loss includes the L2 penalty


def test_gradient_check_has_a_work_bound(client):
    body = {"network": {"hidden": [64] * 8}, "dataset": {"name": "xor", "n": 2000}}
    result = post(client, "/api/network/gradients", body, 422)
    assert "MAX_NETWORK_WORK" in result["detail"][0]["msg"]


# --- the landscape -------------------------------------------------------------------


def test_pca_landscape_slices_through_the_final_weights(client):
    body = {**SMALL, "epochs": 40, "resolution": 9, "span": 1.0}
    result = post(client, "/api/network/landscape", body)
    assert result["directions"] == "pca"
    assert len(result["alpha"]) == len(result["beta"]) == 9
    loss = np.array(result["loss"])
    assert loss.shape == (9, 9) and np.all(loss > 0)
    a, b = result["explained_variance"]
    assert 0 <= b <= a <= 1 and a + b <= 1 + 1e-12
    path = result["path"]
    assert path["epoch"] == list(range(41))
    assert len(path["alpha"]) == len(path["beta"]) == len(path["loss"]) == 41
    # The path ends at the final weights, the centre of the slice, with the final loss.
    assert path["alpha"][-1] == pytest.approx(0, abs=1e-12)
    assert path["loss"][-1] == pytest.approx(path["train_loss"][-1], rel=1e-12)
    assert loss[4, 4] == pytest.approx(path["train_loss"][-1], rel=1e-12)
    # PCA directions are scaled so the path reaches 0.8 of span 1.
    assert max(np.abs(path["alpha"])) == pytest.approx(0.8)
    assert "plane" in result["note"]
    trained = post(client, "/api/train", SMALL | {"epochs": 40})
    assert path["train_loss"][-1] == pytest.approx(trained["history"][-1]["train_loss"], rel=1e-12)


def test_random_landscape_is_filter_normalised(client):
    body = {**SMALL, "epochs": 10, "directions": "random", "resolution": 5, "span": 0.5}
    result = post(client, "/api/network/landscape", body)
    assert result["explained_variance"] is None
    assert result["alpha"] == [-0.5, -0.25, 0.0, 0.25, 0.5]
    centre = result["loss"][2][2]
    assert centre == pytest.approx(result["path"]["train_loss"][-1], rel=1e-12)


def test_random_directions_match_each_layer_blocks_norm():
    from app.nets.landscape import random_directions
    from app.nets.mlp import MLP

    net = MLP.initialised([5, 4], "tanh", seed=0)
    net.theta += 0.1  # biases non-zero too
    directions = random_directions(net, net.theta, np.random.default_rng(0))
    for direction in directions:
        np.testing.assert_allclose(net.block_norms(direction), net.block_norms(net.theta))


@pytest.mark.parametrize("shape", [(300, 40), (30, 200), (3, 10), (2, 6)])
def test_pca_directions_are_the_principal_components(shape):
    from app.nets.landscape import pca_directions

    offsets = np.random.default_rng(0).normal(size=shape).cumsum(axis=0)
    directions, explained = pca_directions(offsets, np.random.default_rng(1))
    _, singular, vt = np.linalg.svd(offsets - offsets.mean(axis=0), full_matrices=False)
    shares = singular**2 / np.sum(singular**2)
    np.testing.assert_allclose(explained[0], shares[0], rtol=1e-9)
    np.testing.assert_allclose(np.abs(directions[0] @ vt[0]), 1, rtol=1e-9)
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-9)
    if len(shares) > 1 and shares[1] > 1e-12:
        np.testing.assert_allclose(explained[1], shares[1], rtol=1e-9)
        np.testing.assert_allclose(np.abs(directions[1] @ vt[1]), 1, rtol=1e-9)


def test_top_eigenpairs_falls_back_when_the_spectrum_is_flat():
    from app.nets.landscape import top_eigenpairs

    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(60, 60))
    gram = matrix @ matrix.T
    values, vectors = top_eigenpairs(gram, rng)
    np.testing.assert_allclose(values, np.linalg.eigvalsh(gram)[::-1][:2], rtol=1e-10)
    np.testing.assert_allclose(gram @ vectors, vectors * values, atol=1e-8 * values[0])


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"resolution": 4}, ["body", "resolution"]),
        ({"resolution": 102}, ["body", "resolution"]),
        ({"directions": "hessian"}, ["body", "directions"]),
        ({"span": 0}, ["body", "span"]),
    ],  # fmt: skip
)
def test_bad_landscape_requests(client, change, loc):
    assert loc in error_locs(post(client, "/api/network/landscape", {**SMALL, **change}, 422))


def test_openapi_documents_every_network_endpoint(client):
    paths = strict_json(client.get("/openapi.json").text)["paths"]
    for path in ["/api/datasets", "/api/datasets/{name}", "/api/train", "/api/train/stream",
                 "/api/train/fan", "/api/network/gradients", "/api/network/gradients/scaling",
                 "/api/network/backprop", "/api/network/landscape"]:  # fmt: skip
        assert path in paths
    for path in ["/api/train/fan", "/api/network/backprop", "/api/network/gradients/scaling"]:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]
        example = next(iter(body["examples"].values()))["value"]
        assert client.post(path, json=example).status_code == 200, path


# --- a stable split ------------------------------------------------------------------------


def test_adding_a_point_moves_at_most_one_other_between_training_and_test():
    """Points drawn by hand are held out by a hash of each point, not by a shuffle of all:
    a new point may go to test, and then at most one other point changes side."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-5, 5, (40, 2)), (rng.random(40) > 0.5).astype(float)

    def test_points(x, y) -> set:
        split = datasets.split(datasets.Data(x, y, "classification"), 0.2)
        return {tuple(point) for point in split.test.x}

    held_out = test_points(x, y)
    for _ in range(30):
        x, y = np.vstack([x, rng.uniform(-5, 5, (1, 2))]), np.append(y, rng.integers(0, 2))
        now = test_points(x, y)
        assert len(now) == int(len(y) * 0.2)
        assert len(held_out - now) <= 1  # at most one old test point went back to training
        assert len(now - held_out - {tuple(x[-1])}) <= 1  # at most one old one came in
        held_out = now


def test_the_split_depends_on_the_points_not_their_order_and_keeps_their_order():
    data = datasets.generate("moons", 60, 0.2, seed=4)
    order = np.random.default_rng(0).permutation(60)
    shuffled = datasets.Data(data.x[order], data.y[order], data.task)
    split, again = datasets.split(data, 0.25, seed=7), datasets.split(shuffled, 0.25, seed=7)
    assert sorted(map(tuple, split.test.x)) == sorted(map(tuple, again.test.x))
    kept = [i for i in range(60) if tuple(data.x[i]) in set(map(tuple, split.train.x))]
    np.testing.assert_array_equal(split.train.x, data.x[kept])  # training keeps the order
    other = datasets.split(data, 0.25, seed=8)
    assert sorted(map(tuple, other.test.x)) != sorted(map(tuple, split.test.x))


def test_point_keys_are_the_same_on_every_machine():
    """splitmix64 over the points' bits: fixed numbers (−0 is 0), whatever the platform."""
    points = np.array([[0.0, 0.0], [-0.0, 1.5], [-0.0, 0.0]])
    data = datasets.Data(points, np.array([1.0, 0.0, 1.0]), "regression")
    keys = datasets.point_keys(data, 0).tolist()
    assert keys[:2] == [17726946821955736143, 9868491017493873950] and keys[2] == keys[0]


# --- the learning-rate fan -------------------------------------------------------------


FAN = {
    "dataset": {"name": "moons", "n": 80, "seed": 3},
    "network": {"hidden": [5], "activation": "tanh", "seed": 4},
    "optimizer": {"optimizer": "sgd", "momentum": 0.5},
    "epochs": 30,
    "batch_size": 16,
    "record_every": 10,
    "lrs": [0.001, 0.1, 100],
}


def test_the_fan_is_one_run_per_rate_of_the_same_network_on_the_same_minibatches(client):
    fan = post(client, "/api/train/fan", FAN)
    assert [run["lr"] for run in fan["runs"]] == FAN["lrs"]
    train_body = {key: value for key, value in FAN.items() if key != "lrs"}
    for run, lr in zip(fan["runs"], FAN["lrs"], strict=True):
        optimizer = {**FAN["optimizer"], "lr": lr}
        alone = post(client, "/api/train", {**train_body, "optimizer": optimizer})
        assert run["history"] == alone["history"]  # same weights, data and shuffles
        assert (run["status"], run["verdict"]) == (alone["status"], alone["verdict"])
        assert run["epochs_trained"] == alone["epochs_trained"]
    first_records = [run["history"][0] for run in fan["runs"]]
    assert all(record == first_records[0] for record in first_records)  # the same start
    assert [run["verdict"] for run in fan["runs"]] == ["learning", "learning", "unstable"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"lrs": [0.1]}, ["body", "lrs"]),
        ({"lrs": [0.1] * (limits.MAX_FAN_RATES + 1)}, ["body", "lrs"]),
        ({"lrs": [0.1, -1]}, ["body", "lrs", 1]),
        ({"lrs": [0.1, "1"]}, ["body", "lrs", 1]),
        ({"lrs": [0.1, limits.MAX_LEARNING_RATE * 10]}, ["body", "lrs", 1]),
        ({"lr": [0.1, 1]}, ["body", "lr"]),
    ],
)
def test_bad_fans_are_422_naming_the_field(client, change, loc):
    body = {key: value for key, value in FAN.items() if key != "lrs"}
    assert loc in error_locs(post(client, "/api/train/fan", {**body, **change}, 422))


def test_the_fans_work_is_all_its_runs_together(client):
    from app.api.net_schemas import TrainRequest

    body = {**FAN, "dataset": {"name": "spiral", "n": 2000}, "network": {"hidden": [32, 32]}}
    body |= {"batch_size": None, "epochs": 1000, "lrs": [0.1, 1]}
    one = {key: value for key, value in body.items() if key != "lrs"}
    TrainRequest.model_validate(one)  # one run alone is within the bound
    result = post(client, "/api/train/fan", body | {"lrs": [0.1] * 8}, 422)
    assert result["detail"][0]["loc"] == ["body", "lrs"]
    assert "MAX_NETWORK_WORK" in result["detail"][0]["msg"]
    drawn = {"boundary_resolution": 100, "record_every": 1, "epochs": 100}  # 1.01M values a run
    TrainRequest.model_validate({**one, **drawn, "epochs": 100})
    boundaries = post(client, "/api/train/fan", FAN | drawn, 422)
    assert "MAX_BOUNDARY_VALUES" in boundaries["detail"][0]["msg"]


# --- what each unit computes -----------------------------------------------------------


def test_unit_maps_are_each_hidden_units_activation_over_the_box(client):
    body = {**SMALL, "network": {"hidden": [3, 2], "activation": "sigmoid", "seed": 1}}
    body |= {"record_every": 6, "unit_resolution": 5, "boundary_resolution": 4}
    result = post(client, "/api/train", body)
    grid = result["unit_grid"]
    assert grid["x"][0] == -datasets.BOX and len(grid["x"]) == len(grid["y"]) == 5
    assert len(result["grid"]["x"]) == 4  # the boundary keeps its own grid, over the same box
    assert [r["epoch"] for r in result["history"]] == [0, 6, 12]
    final = result["history"][-1]
    assert [np.shape(layer) for layer in final["units"]] == [(3, 5, 5), (2, 5, 5)]
    weights = [(np.array(w["W"]), np.array(w["b"])) for w in result["weights"]]
    xx, yy = np.meshgrid(grid["x"], grid["y"])
    h = np.column_stack([xx.ravel(), yy.ravel()])
    for layer, (W, b) in enumerate(weights[:-1]):
        h = 1 / (1 + np.exp(-(h @ W + b)))
        expected = h.T.reshape(-1, 5, 5)
        np.testing.assert_allclose(final["units"][layer], expected, atol=0.5e-4)


def test_unit_maps_are_bounded(client):
    body = {**SMALL, "network": {"hidden": [64] * 8}, "unit_resolution": 18, "epochs": 1}
    result = post(client, "/api/train", body, 422)  # 512 units × 18² in one record
    assert result["detail"][0]["loc"] == ["body", "unit_resolution"]
    assert "MAX_UNIT_VALUES_PER_RECORD" in result["detail"][0]["msg"]
    body = {**SMALL, "network": {"hidden": [16, 16]}, "unit_resolution": 48, "epochs": 30}
    result = post(client, "/api/train", body, 422)  # 73,728 values in each of 31 records
    assert "(MAX_UNIT_VALUES)" in result["detail"][0]["msg"]
    assert error_locs(post(client, "/api/train", {**SMALL, "unit_resolution": 49}, 422)) == [
        ["body", "unit_resolution"]
    ]
    landscape = post(client, "/api/network/landscape", {**SMALL, "unit_resolution": 5}, 422)
    assert error_locs(landscape) == [["body", "unit_resolution"]]


# --- the gradient check of a diverged network ----------------------------------------------


def diverged_weights() -> list[dict]:
    return [{"W": [[3e7, 1.0], [1.0, 1.0]], "b": [0, 0]}, {"W": [[1.0], [1.0]], "b": [0]}]


def test_the_gradient_check_of_a_diverged_network_says_so(client):
    body = {"network": {"weights": diverged_weights()}, "dataset": {"name": "xor", "n": 20}}
    error = post(client, "/api/network/gradients", body, 422)["detail"][0]
    assert error["loc"] == ["body", "network", "weights", 0, "W", 0, 0]
    assert error["type"] == "diverged_weights"
    assert "diverged" in error["msg"] and "3e+07" in error["msg"] and "1e+06" in error["msg"]


def test_a_loss_that_is_not_finite_is_named(client):
    from app.nets.mlp import MLP

    net = MLP(
        [(np.full((2, 3), 1e300), np.zeros(3)), (np.full((3, 1), 1e300), np.zeros(1))], "relu"
    )
    data = datasets.Data(np.array([[1e6, 1e6]]), np.array([1.0]), "regression")
    with pytest.raises(gradcheck.NotFinite, match="diverged"):
        next(gradcheck.check_steps(net, data, 0.0, 1e-6))


def test_the_page_asks_for_the_gradient_check_without_a_failed_request(client):
    """The page's own check answers 200: the report, or the 422's detail."""
    body = {"network": {"hidden": [3], "seed": 1}, "dataset": {"name": "xor", "n": 20}}
    page = post(client, "/page/network/gradients", body)
    api = post(client, "/api/network/gradients", body)
    assert page["ok"] is True
    assert {k: v for k, v in page["report"].items() if k != "cost"} == {
        k: v for k, v in api.items() if k != "cost"
    }
    diverged = {**body, "network": {"weights": diverged_weights()}}
    refused = post(client, "/page/network/gradients", diverged)
    assert refused["ok"] is False
    assert refused["detail"] == post(client, "/api/network/gradients", diverged, 422)["detail"]
    too_big = {"network": {"hidden": [64] * 8}, "dataset": {"name": "xor", "n": 2000}}
    refused = post(client, "/page/network/gradients", too_big)
    assert refused["ok"] is False and "MAX_NETWORK_WORK" in refused["detail"][0]["msg"]
    assert post(client, "/page/network/gradients", {"x": "x" * 500})["ok"] is False
    assert "/page/network/gradients" not in client.get("/openapi.json").json()["paths"]
