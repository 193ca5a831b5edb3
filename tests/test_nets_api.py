"""The network endpoints of API.md: shapes, strict JSON, bounds, and the stream equal to the batch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app import limits
from app.nets import datasets
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
                 "/api/network/gradients", "/api/network/landscape"]:  # fmt: skip
        assert path in paths
