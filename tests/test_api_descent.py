"""POST /api/descent, /api/descent/stream and /api/basins."""

from __future__ import annotations

import json
import time

import httpx
import numpy as np
import pytest

from app import limits
from app.api.descent import stream_stats
from app.surfaces import CATALOGUE, from_catalogue
from tests.conftest import strict_json

FIELDS = ("x", "y", "z", "grad_x", "grad_y")


def descend(client, **body):
    response = client.post("/api/descent", json=body)
    assert response.status_code == 200, response.text
    return strict_json(response.text)


def stream(client, **body):
    with client.stream("POST", "/api/descent/stream", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/jsonl")
        return [strict_json(line) for line in response.iter_lines() if line]


def test_a_run_converges_with_its_path_and_nearest_minimum(client):
    result = descend(
        client,
        surface="himmelblau",
        runs=[{"optimizer": "adam", "lr": 0.05, "start": [-1, 4], "label": "Adam"}],
        max_steps=2000,
        tolerance=1e-6,
    )
    assert result["surface"] == "himmelblau"
    (run,) = result["runs"]
    assert run["label"] == "Adam" and run["optimizer"] == "adam"
    assert run["hyperparameters"] == {
        "lr": 0.05, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
    }  # fmt: skip
    assert run["status"] == "converged"
    path = run["path"]
    assert all(len(path[f]) == run["steps"] + 1 for f in FIELDS)
    assert [path["x"][0], path["y"][0]] == [-1, 4]
    norms = np.hypot(path["grad_x"], path["grad_y"])
    assert norms[-1] <= 1e-6 < norms[-2]
    f, gx, gy = from_catalogue("himmelblau").formula.value_and_gradient(
        np.array(path["x"]), np.array(path["y"])
    )
    np.testing.assert_array_equal(path["z"], f)
    np.testing.assert_array_equal(path["grad_x"], gx)
    eigenvalues = run["final"].pop("hessian_eigenvalues")  # checked in tests/test_verdicts.py
    assert run["final"] == {
        "x": path["x"][-1], "y": path["y"][-1], "z": path["z"][-1], "grad_norm": norms[-1],
    }  # fmt: skip
    assert run["verdict"] == "converged" and min(eigenvalues) > 0
    nearest = run["nearest_minimum"]
    assert nearest["global"] is True and nearest["distance"] < 1e-6
    assert (nearest["x"], nearest["y"]) == pytest.approx((-2.805118, 3.131313), abs=1e-5)


def test_statuses_max_steps_and_diverged(client):
    result = descend(
        client,
        surface="bowl",
        runs=[
            {"optimizer": "sgd", "lr": 1e-4, "start": [3, 4]},  # crawls
            {"optimizer": "sgd", "lr": 1.5, "start": [3, 4]},  # every step doubles |x|: flies off
        ],
        max_steps=300,
    )
    crawl, flies = result["runs"]
    assert crawl["status"] == "max_steps" and crawl["steps"] == 300
    assert len(crawl["path"]["x"]) == 301
    assert flies["status"] == "diverged"
    # The box is centred on the domain with a half-width of 50 spans (500 for the bowl):
    # the path stops at its last point inside it.
    last_x, last_y = flies["path"]["x"][-1], flies["path"]["y"][-1]
    assert max(abs(last_x), abs(last_y)) <= 500 < 2 * max(abs(last_x), abs(last_y))
    assert len(flies["path"]["x"]) == flies["steps"] + 1
    assert flies["nearest_minimum"] is None


def test_tolerance_zero_never_converges(client):
    result = descend(
        client,
        surface="bowl",
        runs=[{"optimizer": "sgd", "lr": 0.1, "start": [0, 0]}],
        max_steps=5,
        tolerance=0,
    )
    assert result["runs"][0]["status"] == "max_steps"


def test_starting_at_a_minimum_converges_at_step_zero(client):
    result = descend(client, surface="bowl", runs=[{"optimizer": "sgd", "start": [0, 0]}])
    run = result["runs"][0]
    assert run["status"] == "converged" and run["steps"] == 0 and run["path"]["x"] == [0]


def test_non_finite_values_end_a_run_as_diverged(client):
    surface = {"formula": "log(x) + y**2", "x_range": [0.1, 3], "y_range": [-1, 1]}
    result = descend(
        client, surface=surface, runs=[{"optimizer": "sgd", "lr": 1.0, "start": [0.5, 0.5]}]
    )
    run = result["runs"][0]
    assert run["status"] == "diverged"
    assert all(x > 0 for x in run["path"]["x"])


def test_gradient_noise_is_seeded(client):
    body = {
        "surface": "booth",
        "runs": [{"optimizer": "sgd", "lr": 0.01, "start": [-8, -6]}] * 2,
        "max_steps": 50,
        "tolerance": 0,
        "gradient_noise": 5.0,
    }
    first = descend(client, **body, seed=1)
    again = descend(client, **body, seed=1)
    other = descend(client, **body, seed=2)
    assert first == again
    assert first["runs"][0]["path"] != other["runs"][0]["path"]
    assert first["runs"][0]["path"] != first["runs"][1]["path"]  # each hiker its own noise
    # The recorded gradient is the true one; only the step is noisy.
    quiet = descend(client, **{**body, "gradient_noise": 0})
    assert first["runs"][0]["path"]["x"][1] != quiet["runs"][0]["path"]["x"][1]
    assert first["runs"][0]["path"]["grad_x"][0] == quiet["runs"][0]["path"]["grad_x"][0]


def test_local_minimum_is_reported_as_local(client):
    result = descend(
        client,
        surface="two_valleys",
        runs=[{"optimizer": "sgd", "lr": 0.05, "start": [1.8, 1.5]}],
        max_steps=5000,
    )
    nearest = result["runs"][0]["nearest_minimum"]
    assert result["runs"][0]["status"] == "converged" and nearest["global"] is False


def test_user_formula_gets_numeric_minima(client):
    surface = {"formula": "(x - 1)^2 + (y + 2)^2", "x_range": [-4, 4], "y_range": [-4, 4]}
    result = descend(client, surface=surface, runs=[{"optimizer": "adam", "lr": 0.1, "start": [3, 3]}],
                     max_steps=3000)  # fmt: skip
    assert result["surface"] == surface
    nearest = result["runs"][0]["nearest_minimum"]
    assert nearest["global"] and (nearest["x"], nearest["y"]) == pytest.approx((1, -2), abs=1e-6)


MIXED = {
    "surface": "himmelblau",
    "runs": [
        {"optimizer": "adam", "lr": 0.05, "start": [-1, 4]},
        {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "start": [0, 0]},
        {"optimizer": "sgd", "lr": 0.5, "start": [0, 0]},
        {"optimizer": "rmsprop", "lr": 0.001, "start": [1, 1]},
        {"optimizer": "adagrad", "lr": 0.3, "start": [-4, -4], "label": "AdaGrad"},
    ],
    "max_steps": 1000,
    "tolerance": 1e-2,
    "gradient_noise": 1e-3,
    "seed": 7,
}


def test_stream_equals_batch(client):
    batch = descend(client, **MIXED)
    messages = stream(client, **MIXED)
    assert messages[0]["type"] == "start" and messages[-1] == {"type": "done"}
    assert messages[0]["surface"] == "himmelblau"
    assert [r["label"] for r in messages[0]["runs"]] == [r["label"] for r in batch["runs"]]
    assert messages[0]["runs"][1]["hyperparameters"] == batch["runs"][1]["hyperparameters"]
    for index, run in enumerate(batch["runs"]):
        frames = [m for m in messages if m["type"] == "frames" and m["run"] == index]
        assert frames[0]["from_step"] == 0
        for before, after in zip(frames, frames[1:], strict=False):
            assert after["from_step"] == before["from_step"] + len(before["x"])
        for field in FIELDS:
            assert sum((f[field] for f in frames), []) == run["path"][field]
        (end,) = [m for m in messages if m["type"] == "end" and m["run"] == index]
        assert end["status"] == run["status"] and end["steps"] == run["steps"]
        last_frame = max(
            i for i, m in enumerate(messages) if m.get("run") == index and m["type"] == "frames"
        )
        assert messages.index(end) > last_frame
    statuses = {r["status"] for r in batch["runs"]}
    assert statuses == {"converged", "diverged", "max_steps"}


def test_stream_sends_the_first_chunk_while_still_computing(client):
    body = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "sgd", "lr": 1e-4, "start": [-1.2, 1]}] * 10,
        "max_steps": 100_000,
        "tolerance": 0,
    }
    finished_before = stream_stats.finished
    with client.stream("POST", "/api/descent/stream", json=body) as response:
        lines = response.iter_lines()
        assert json.loads(next(lines))["type"] == "start"
        first = json.loads(next(lines))
        assert first["type"] == "frames" and first["from_step"] == 0
        assert len(first["x"]) < 1000  # the first chunk is small: the hiker moves at once
        assert stream_stats.finished == finished_before  # and the run is still being computed


def test_a_disconnect_stops_the_computation(live_server):
    body = {
        "surface": "rosenbrock",
        "runs": [{"optimizer": "sgd", "lr": 1e-4, "start": [-1.2, 1]}] * 10,
        "max_steps": 100_000,
        "tolerance": 0,
    }
    finished = stream_stats.finished
    with httpx.Client(timeout=30) as http:
        with http.stream("POST", f"{live_server}/api/descent/stream", json=body) as response:
            lines = response.iter_lines()
            next(lines)
            assert json.loads(next(lines))["type"] == "frames"
    # The client hung up long before 10 × 100,000 steps could be computed: no
    # further chunk may be computed once the server notices.
    deadline = time.monotonic() + 30
    computed = -1
    while stream_stats.chunks != computed and time.monotonic() < deadline:
        computed = stream_stats.chunks
        time.sleep(1.0)
    assert stream_stats.chunks == computed, "chunks were still being computed after 30 s"
    assert stream_stats.finished == finished
    assert httpx.get(f"{live_server}/api/health").status_code == 200


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_responses_are_strict_json_for_any_learning_rate(client, name):
    entry = CATALOGUE[name]
    runs = [
        {"optimizer": optimizer, "lr": lr, "start": list(entry.start)}
        for optimizer in ("sgd", "adam", "rmsprop", "adagrad")
        for lr in (1e-6, 1e-3, 1.0, 1e3, 1e6)
    ]
    body = {"surface": name, "runs": runs, "max_steps": 200, "gradient_noise": 0}
    response = client.post("/api/descent", json=body)
    assert response.status_code == 200
    result = strict_json(response.text)  # refuses NaN and Infinity
    surface = from_catalogue(name)
    for run in result["runs"]:
        last_x, last_y = np.array(run["path"]["x"][-1:]), np.array(run["path"]["y"][-1:])
        assert surface.in_divergence_box(last_x, last_y).all()
    with client.stream("POST", "/api/descent/stream", json=body) as streamed:
        for line in streamed.iter_lines():
            strict_json(line)


def test_basins_of_himmelblau(client):
    body = {
        "surface": "himmelblau",
        "optimizer": {"optimizer": "sgd", "lr": 0.01},
        "resolution": 16,
        "max_steps": 500,
    }
    response = client.post("/api/basins", json=body)
    assert response.status_code == 200
    result = strict_json(response.text)
    assert len(result["x"]) == len(result["y"]) == 16
    for key in ("minimum", "steps", "final_z", "status"):
        assert len(result[key]) == 16 and all(len(row) == 16 for row in result[key])
    found = {m for row in result["minimum"] for m in row}
    assert found == {0, 1, 2, 3}
    # Rows are y, columns x: a cell agrees with a single descent from its start.
    i, j = 3, 12
    single = descend(
        client,
        surface="himmelblau",
        runs=[{"optimizer": "sgd", "lr": 0.01, "start": [result["x"][j], result["y"][i]]}],
        max_steps=500,
    )["runs"][0]
    assert result["status"][i][j] == single["status"]
    assert result["steps"][i][j] == single["steps"]
    assert result["final_z"][i][j] == single["final"]["z"]
    minima = CATALOGUE["himmelblau"].minima
    reached = minima[result["minimum"][i][j]]
    assert single["nearest_minimum"]["x"] == reached.x


def test_basins_mark_unconverged_and_diverged_runs(client):
    body = {"surface": "bowl", "optimizer": {"optimizer": "sgd", "lr": 1.5}, "resolution": 5}
    result = strict_json(client.post("/api/basins", json=body).text)
    flat = [s for row in result["status"] for s in row]
    assert flat.count("converged") == 1  # only the centre start, already at the minimum
    assert set(flat) == {"converged", "diverged"}
    assert result["minimum"][2][2] == 0 and result["minimum"][0][0] == -1


def test_basins_where_starts_are_not_finite(client):
    surface = {"formula": "log(x) + y**2", "x_range": [-1, 1], "y_range": [-1, 1]}
    body = {"surface": surface, "optimizer": {"optimizer": "sgd", "lr": 0.1}, "resolution": 4}
    result = strict_json(client.post("/api/basins", json=body).text)
    assert result["status"][0][0] == "diverged" and result["final_z"][0][0] is None


# Every bound of API.md and of app/limits.py: a 422 that names the bound.
BAD_BODIES = [
    ({"runs": []}, ["body", "runs"], "at least 1"),
    ({"runs": [{"optimizer": "sgd", "start": [0, 0]}] * 65}, ["body", "runs"], "at most 64"),
    ({"max_steps": 0}, ["body", "max_steps"], "greater than or equal to 1"),
    ({"max_steps": 100_001}, ["body", "max_steps"], "less than or equal to 100000"),
    (
        {"runs": [{"optimizer": "sgd", "start": [0, 0]}] * 11, "max_steps": 100_000},
        ["body", "max_steps"],
        "at most 1,000,000 path points",
    ),
    ({"tolerance": -1}, ["body", "tolerance"], "greater than or equal to 0"),
    ({"gradient_noise": -1}, ["body", "gradient_noise"], "greater than or equal to 0"),
    ({"gradient_noise": 1e7}, ["body", "gradient_noise"], "less than or equal to"),
    ({"seed": -1}, ["body", "seed"], "greater than or equal to 0"),
    ({"runs": [{"optimizer": "sgd"}]}, ["body", "runs", 0, "start"], "Field required"),
    ({"runs": [{"optimizer": "sgd", "start": [0]}]}, ["body", "runs", 0, "start"], "at least 2"),
    ({"runs": [{"optimizer": "sgd", "start": [1e9, 0]}]}, ["body", "runs", 0, "start"], "divergence box"),
    ({"runs": [{"optimizer": "nadam", "start": [0, 0]}]}, ["body", "runs", 0, "optimizer"], "unknown optimizer"),
    ({"runs": [{"optimizer": "sgd", "lr": -1, "start": [0, 0]}]}, ["body", "runs", 0, "lr"], "Invalid lr"),
    ({"runs": [{"optimizer": "sgd", "lr": 2e6, "start": [0, 0]}]}, ["body", "runs", 0, "lr"], "maximum"),
    ({"runs": [{"optimizer": "sgd", "lrr": 1, "start": [0, 0]}]}, ["body", "runs", 0, "lrr"], "no hyperparameter"),
    ({"runs": [{"optimizer": "sgd", "nesterov": True, "start": [0, 0]}]}, ["body", "runs", 0, "nesterov"], "Nesterov"),
    ({"runs": [{"optimizer": "adam", "betas": [0.9, 1], "start": [0, 0]}]}, ["body", "runs", 0, "betas"], "beta"),
    ({"runs": [{"optimizer": "sgd", "start": [0, 0], "label": "x" * 101}]}, ["body", "runs", 0, "label"], "at most 100"),
    ({"max_step": 10}, ["body", "max_step"], "Extra inputs"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "loc", "fragment"), BAD_BODIES)
def test_descent_bounds_and_bad_input(client, change, loc, fragment):
    body = {"surface": "booth", "runs": [{"optimizer": "sgd", "start": [0, 0]}], **change}
    for path in ("/api/descent", "/api/descent/stream"):
        response = client.post(path, json=body)
        assert response.status_code == 422
        errors = response.json()["detail"]
        assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_a_start_where_f_is_undefined_is_refused(client):
    surface = {"formula": "sqrt(x)", "x_range": [-1, 1], "y_range": [-1, 1]}
    body = {"surface": surface, "runs": [{"optimizer": "sgd", "start": [-0.5, 0]}]}
    response = client.post("/api/descent", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "runs", 0, "start"]


BAD_BASINS = [
    ({"resolution": 1}, ["body", "resolution"], "greater than or equal to 2"),
    ({"resolution": 257}, ["body", "resolution"], "less than or equal to 256"),
    ({"max_steps": 10_001}, ["body", "max_steps"], "less than or equal to 10000"),
    ({"resolution": 256, "max_steps": 1000}, ["body", "max_steps"], "at most 50,000,000"),
    ({"optimizer": {"optimizer": "sgd", "lr": -1}}, ["body", "optimizer", "lr"], "Invalid lr"),
    ({"optimizer": {"lr": 0.1}}, ["body", "optimizer", "optimizer"], "Field required"),
    ({"surface": "nope"}, ["body", "surface"], "unknown surface"),
    ({"tolerance": "small"}, ["body", "tolerance"], "valid number"),
]


@pytest.mark.parametrize(("change", "loc", "fragment"), BAD_BASINS)
def test_basin_bounds_and_bad_input(client, change, loc, fragment):
    body = {"surface": "booth", "optimizer": {"optimizer": "sgd"}, **change}
    response = client.post("/api/basins", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_limits_are_the_documented_ones():
    assert limits.MAX_RUNS == 64 and limits.MAX_STEPS == 100_000
    assert limits.MAX_MESH_RESOLUTION == 400 and limits.MAX_BASIN_RESOLUTION == 256
    assert limits.MAX_EVALUATE_POINTS == 10_000 and limits.MAX_FORMULA_LENGTH == 500


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/descent",
            {
                "surface": "rosenbrock",
                "runs": [{"optimizer": "adam", "lr": 0.01, "start": [-1.2, 1.0]}],
                "max_steps": 1000,
                "tolerance": 0,
            },
        ),
        (
            "/api/basins",
            {"surface": "himmelblau", "optimizer": {"optimizer": "adam", "lr": 0.05}},
        ),
    ],
)
def test_a_big_answer_is_computed_encoded_and_gzipped_in_one_worker_turn(
    client, monkeypatch, path, body
):
    """A ghost path (~100 KB of JSON) is asked for many times a second: its starts are
    checked and its answer encoded and gzipped in the turns of its computation (one when
    it takes less than a turn's ~50 ms), not in turns of their own."""
    from app.api import compute

    turns = []
    run = compute.run

    async def counted_run(function, *args):
        turns.append(function)
        return await run(function, *args)

    client.post(path, json=body).raise_for_status()  # the surface built, as at start-up
    monkeypatch.setattr(compute, "run", counted_run)
    zipped = client.post(path, json=body, headers={"accept-encoding": "gzip"})
    assert zipped.status_code == 200
    assert turns and all(function is next for function in turns)  # steps of the computation
    plain = client.post(path, json=body, headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < 0.7 * len(plain.content)
    assert zipped.content == plain.content  # decompressed by the client
