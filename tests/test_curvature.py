"""POST /api/curvature: the Hessian at points, its eigenvalues and condition number."""

from __future__ import annotations

import numpy as np
import pytest

from app import limits
from app.surfaces import CATALOGUE
from tests.conftest import strict_json


def curvature(client, surface, points):
    response = client.post("/api/curvature", json={"surface": surface, "points": points})
    assert response.status_code == 200, response.text
    return strict_json(response.text)  # refuses NaN and Infinity


def gradients(client, surface, points) -> np.ndarray:
    """∇f at each point, (n, 2), from POST /api/evaluate."""
    response = client.post("/api/evaluate", json={"surface": surface, "points": points})
    result = response.json()
    return np.stack([result["grad_x"], result["grad_y"]], axis=1)


CUSTOM = {
    "formula": "sin(x)*cos(2*y) + x**2*y/10 + exp(x/3)",
    "x_range": [-3, 3],
    "y_range": [-3, 3],
}


@pytest.mark.parametrize(
    "surface", ["himmelblau", "rosenbrock", "rastrigin", "beale", "six_hump_camel", CUSTOM]
)
def test_the_hessian_is_the_derivative_of_the_gradient(client, surface):
    """Each column of the Hessian against central differences of ∇f (from /api/evaluate)."""
    if isinstance(surface, str):
        x_range, y_range = CATALOGUE[surface].x_range, CATALOGUE[surface].y_range
    else:
        x_range, y_range = surface["x_range"], surface["y_range"]
    rng = np.random.default_rng(7)
    points = np.stack(
        [rng.uniform(*x_range, 12) * 0.9, rng.uniform(*y_range, 12) * 0.9], axis=1
    ).tolist()
    result = curvature(client, surface, points)
    hessian = np.array(result["hessian"], dtype=float)
    assert hessian.shape == (12, 2, 2)
    np.testing.assert_array_equal(hessian[:, 0, 1], hessian[:, 1, 0])  # symmetric
    h = 1e-5 * (x_range[1] - x_range[0])
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        ahead = gradients(client, surface, (np.array(points) + step).tolist())
        behind = gradients(client, surface, (np.array(points) - step).tolist())
        column = (ahead - behind) / (2 * h)
        scale = np.abs(hessian).max(axis=(1, 2), keepdims=False)[:, None] + 1
        assert np.all(np.abs(hessian[:, :, axis] - column) <= 1e-5 * scale), (axis, surface)
    # The eigenvalues are those of the Hessian, smallest first.
    expected = np.linalg.eigvalsh(hessian)
    np.testing.assert_allclose(result["eigenvalues"], expected, rtol=1e-9, atol=1e-9)


BOWLS = [
    ("bowl", [2, 2], 1),  # x² + y²
    ("elongated_bowl", [0.2, 4], 20),  # 0.1x² + 2y²: 20 times more curved across
    ("booth", [2, 18], 9),  # (x + 2y − 7)² + (2x + y − 5)²: "its steepest curvature is 18"
    ("matyas", [0.04, 1.0], 25),  # 0.26(x² + y²) − 0.48xy: a flat plate
]


@pytest.mark.parametrize(("name", "eigenvalues", "condition"), BOWLS)
def test_the_bowls_eigenvalues_and_condition_numbers(client, name, eigenvalues, condition):
    # A quadratic's Hessian is the same everywhere: at the start and at the minimum.
    entry = CATALOGUE[name]
    minimum = entry.minima[0]
    result = curvature(client, name, [list(entry.start), [minimum.x, minimum.y], [1.5, -2.5]])
    for pair in result["eigenvalues"]:
        assert pair == pytest.approx(eigenvalues, rel=1e-12)
    assert result["condition_number"] == pytest.approx([condition] * 3, rel=1e-12)


def test_a_saddle_and_a_dome_have_no_condition_number(client):
    saddle = {"formula": "x**2 - y**2", "x_range": [-2, 2], "y_range": [-2, 2]}
    dome = {"formula": "-x**2 - 3*y**2", "x_range": [-2, 2], "y_range": [-2, 2]}
    valley = {"formula": "x**2", "x_range": [-2, 2], "y_range": [-2, 2]}  # flat along y
    for surface, eigenvalues in [(saddle, [-2, 2]), (dome, [-6, -2]), (valley, [0, 2])]:
        result = curvature(client, surface, [[0.5, 1]])
        assert result["eigenvalues"] == [eigenvalues]
        assert result["condition_number"] == [None]  # not positive definite


def test_null_where_not_finite(client):
    # log(x) is not real left of 0 (though −1/x² is) and its curvature is infinite at 0;
    # sqrt(y)'s is infinite at 0 too.
    surface = {"formula": "log(x) + sqrt(y)", "x_range": [-1, 1], "y_range": [-1, 1]}
    result = curvature(client, surface, [[0.5, 0.25], [-0.5, 0.25], [0.5, 0], [0, 0.5]])
    assert result["hessian"][0] == [[-4, 0], [0, pytest.approx(-2)]]
    assert result["eigenvalues"][0] == pytest.approx([-4, -2])
    assert result["condition_number"][0] is None  # a dome: not positive definite
    assert result["hessian"][1] == [[None, None], [None, None]]  # f is not real there
    assert result["hessian"][2][1][1] is None and result["hessian"][2][0][0] == -4
    for index in (1, 2, 3):
        assert result["eigenvalues"][index] is None
        assert result["condition_number"][index] is None


def test_it_agrees_with_a_runs_final_hessian_eigenvalues(client):
    """The curvature of the minimum a run heads for is the run's own final eigenvalues."""
    body = {
        "surface": "himmelblau",
        "runs": [{"optimizer": "sgd", "lr": 0.01, "start": [-1, 4]}],
        "max_steps": 2000,
    }
    run = client.post("/api/descent", json=body).json()["runs"][0]
    assert run["verdict"] == "converged"
    final = run["final"]
    result = curvature(client, "himmelblau", [[final["x"], final["y"]]])
    assert result["eigenvalues"][0] == final["hessian_eigenvalues"]
    low, high = final["hessian_eigenvalues"]
    assert result["condition_number"][0] == pytest.approx(high / low)


def test_no_points_is_an_empty_answer(client):
    assert curvature(client, "bowl", []) == {
        "hessian": [],
        "eigenvalues": [],
        "condition_number": [],
    }


BAD = [
    ({"points": [[0, 0]] * (limits.MAX_CURVATURE_POINTS + 1)}, ["body", "points"], "at most 10000"),
    ({"points": [[0]]}, ["body", "points", 0], "at least 2"),
    ({"points": [[0, "1"]]}, ["body", "points", 0, 1], "valid number"),
    ({"points": [[0, True]]}, ["body", "points", 0, 1], "valid number"),
    ({"surface": "nope"}, ["body", "surface"], "unknown surface"),
    ({"surface": {"formula": "x^2 + 2x"}}, ["body", "surface", "formula"], ""),
    ({"point": [[0, 0]]}, ["body", "point"], "Extra inputs"),
]


@pytest.mark.parametrize(("change", "loc", "fragment"), BAD)
def test_bounds_and_bad_input(client, change, loc, fragment):
    body = {"surface": "bowl", "points": [[0, 0]], **change}
    response = client.post("/api/curvature", json=body)
    assert response.status_code == 422, response.text[:300]
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_the_openapi_example_runs(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/curvature"]["post"]["requestBody"]["content"]["application/json"]
    example = next(iter(body["examples"].values()))["value"]
    response = client.post("/api/curvature", json=example)
    assert response.status_code == 200 and response.json()["condition_number"] == [
        pytest.approx(20),
        pytest.approx(20),
    ]
