"""GET /api/surfaces, POST /api/formula, /api/mesh, /api/evaluate, GET /api/optimizers."""

from __future__ import annotations

import math

import pytest

from app.surfaces import CATALOGUE
from tests.conftest import strict_json


def test_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["version"]


def test_index_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200 and "Gradient Hiker" in response.text


def test_plotly_is_served_locally(client):
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200 and len(response.content) > 1_000_000


def test_openapi_documents_every_endpoint_with_examples(client):
    spec = client.get("/openapi.json").json()
    for path in ["/api/surfaces", "/api/optimizers", "/api/health"]:
        assert "get" in spec["paths"][path], path
    for path in ["/api/formula", "/api/mesh", "/api/evaluate", "/api/descent",
                 "/api/descent/stream", "/api/basins"]:  # fmt: skip
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["examples"], path
        example = next(iter(body["examples"].values()))["value"]
        assert client.post(path, json=example).status_code == 200, path
    assert (
        "application/jsonl"
        in spec["paths"]["/api/descent/stream"]["post"]["responses"]["200"]["content"]
    )
    assert client.get("/docs").status_code == 200


def test_surface_catalogue_fields(client):
    surfaces = strict_json(client.get("/api/surfaces").text)
    assert len(surfaces) == len(CATALOGUE) >= 16
    for entry in surfaces:
        assert set(entry) == {"name", "title", "description", "formula", "latex", "gradient_latex",
                              "x_range", "y_range", "minima", "start", "preset"}  # fmt: skip
        assert set(entry["gradient_latex"]) == {"x", "y"}
        for minimum in entry["minima"]:
            assert set(minimum) == {"x", "y", "z", "global"}
    himmelblau = next(s for s in surfaces if s["name"] == "himmelblau")
    assert sum(m["global"] for m in himmelblau["minima"]) == 4


def test_formula_endpoint(client):
    response = client.post("/api/formula", json={"formula": "x^2 + 3*y^2"})
    assert response.status_code == 200
    body = response.json()
    assert body["formula"] == "x^2 + 3*y^2"
    assert body["latex"] == "x^{2} + 3 y^{2}"
    assert body["gradient_latex"] == {"x": "2 x", "y": "6 y"}


@pytest.mark.parametrize(
    ("formula", "position"),
    [("x + foo(y)", 4), ("x.real", 0), ("x +", 2), ("", 0), ("x" * 501, 500), ("2x", 0)],
)
def test_formula_errors_say_what_and_where(client, formula, position):
    response = client.post("/api/formula", json={"formula": formula})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "formula"]
    assert error["type"] == "formula_error"
    assert error["ctx"]["position"] == position
    assert f"at character {position + 1}" in error["msg"]


def test_formula_request_rejects_unknown_fields(client):
    response = client.post("/api/formula", json={"formula": "x", "formul": "y"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "formul"]


def test_mesh_follows_plotly_convention(client):
    body = {
        "surface": {"formula": "x + 10*y", "x_range": [0, 1], "y_range": [0, 2]},
        "resolution": 3,
    }
    mesh = strict_json(client.post("/api/mesh", json=body).text)
    assert mesh["x"] == [0, 0.5, 1] and mesh["y"] == [0, 1, 2]
    for i, y in enumerate(mesh["y"]):
        for j, x in enumerate(mesh["x"]):
            assert mesh["z"][i][j] == pytest.approx(x + 10 * y)


def test_mesh_of_a_catalogue_surface_covers_its_domain(client):
    mesh = strict_json(
        client.post("/api/mesh", json={"surface": "mccormick", "resolution": 50}).text
    )
    assert mesh["x"][0] == -1.5 and mesh["x"][-1] == 4 and mesh["y"][0] == -3 and mesh["y"][-1] == 4
    assert len(mesh["z"]) == 50 and all(len(row) == 50 for row in mesh["z"])


def test_mesh_clips_what_is_not_finite(client):
    body = {
        "surface": {"formula": "log(x)", "x_range": [-1, 1], "y_range": [0, 1]},
        "resolution": 5,
    }
    response = client.post("/api/mesh", json=body)
    mesh = strict_json(response.text)
    assert mesh["z"][0][:2] == [None, None]  # log of a negative number: no value
    assert mesh["z"][0][2] is None  # log(0) = -inf
    assert mesh["z"][0][4] == 0


@pytest.mark.parametrize("resolution", [1, 401, 2.5])
def test_mesh_resolution_bounds(client, resolution):
    response = client.post("/api/mesh", json={"surface": "booth", "resolution": resolution})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "resolution"]


def test_evaluate(client):
    body = {"surface": "rosenbrock", "points": [[1, 1], [0, 0], [-1.2, 1]]}
    result = strict_json(client.post("/api/evaluate", json=body).text)
    assert result["z"] == [0, 1, pytest.approx(24.2)]
    assert result["grad_x"][1] == -2 and result["grad_y"][1] == 0
    assert result["grad_x"][2] == pytest.approx(-215.6) and result["grad_y"][2] == pytest.approx(
        -88
    )


def test_evaluate_point_bound(client):
    response = client.post("/api/evaluate", json={"surface": "booth", "points": [[0, 0]] * 10_001})
    assert response.status_code == 422
    assert "10000" in response.json()["detail"][0]["msg"]


def test_evaluate_rejects_non_finite_points(client):
    response = client.post(
        "/api/evaluate",
        content='{"surface": "booth", "points": [[NaN, 0]]}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("surface", "loc", "fragment"),
    [
        ("himmelblu", ["body", "surface"], "unknown surface 'himmelblu'"),
        ({"formula": "x", "x_range": [1, 1]}, ["body", "surface", "x_range"], "lo < hi"),
        ({"formula": "x", "y_range": [2, -2]}, ["body", "surface", "y_range"], "lo < hi"),
        ({"formula": "x", "x_range": [0, 1e300]}, ["body", "surface", "x_range"], "within"),
        ({"formula": "x**", "x_range": [0, 1]}, ["body", "surface", "formula"], "character"),
        ({"formula": "x", "colour": "red"}, ["body", "surface", "colour"], "Extra inputs"),
        (42, ["body", "surface"], "catalogue name or a formula"),
    ],
)
def test_bad_surfaces_name_the_field(client, surface, loc, fragment):
    response = client.post("/api/mesh", json={"surface": surface, "resolution": 10})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_optimizers_catalogue(client):
    optimizers = strict_json(client.get("/api/optimizers").text)
    by_name = {o["name"]: o for o in optimizers}
    assert set(by_name) == {"sgd", "adagrad", "rmsprop", "adam", "adamw"}
    assert by_name["adam"]["hyperparameters"]["betas"]["default"] == [0.9, 0.999]
    assert by_name["adamw"]["hyperparameters"]["weight_decay"]["default"] == 0.01
    assert by_name["sgd"]["hyperparameters"]["nesterov"]["default"] is False
    for optimizer in optimizers:
        assert optimizer["title"] and optimizer["description"]
        for hyper in optimizer["hyperparameters"].values():
            assert {"default", "minimum", "maximum", "description"} <= set(hyper)
            if hyper["minimum"] is not None:
                assert math.isfinite(hyper["maximum"])
