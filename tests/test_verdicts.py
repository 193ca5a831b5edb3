"""The server's verdicts (API.md, "Verdicts"; definitions in app/verdicts.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import optim, verdicts
from app.descent import Descent, collect
from app.surfaces import CATALOGUE, Surface, compile_formula, from_catalogue
from tests.conftest import strict_json

DOME = {"formula": "-(x**2 + y**2)", "x_range": [-2, 2], "y_range": [-2, 2]}


def descend(client, surface, runs, max_steps=1000, tolerance=1e-6, **more):
    body = {"surface": surface, "runs": runs, "max_steps": max_steps, "tolerance": tolerance}
    response = client.post("/api/descent", json={**body, **more})
    assert response.status_code == 200, response.text
    return strict_json(response.text)["runs"]


def gd(lr, start, **more):
    return {"optimizer": "sgd", "lr": lr, "start": start, **more}


def test_a_hiker_on_the_saddles_ridge_is_told_saddle_not_converged(client):
    """The issue's case: /?s=saddle&start=-1.8,0 with gradient descent."""
    for tolerance, status in ((1e-6, "converged"), (0, "max_steps")):
        (run,) = descend(client, "saddle", [gd(0.01, [-1.8, 0])], 3000, tolerance)
        assert run["status"] == status
        assert run["verdict"] == "saddle"
        assert run["final"]["hessian_eigenvalues"] == pytest.approx([-2, 2])
        assert run["nearest_minimum"] is None  # x² − y² has no minimum anywhere
    # One just off the ridge slides away down y.
    (off,) = descend(client, "saddle", [gd(0.01, [-1.8, 0.05])])
    assert off["verdict"] == "diverged" and off["final"]["hessian_eigenvalues"] is None


def test_a_hiker_at_the_top_of_a_dome_is_told_maximum(client):
    for tolerance, status in ((1e-6, "converged"), (0, "max_steps")):
        (run,) = descend(client, DOME, [gd(0.1, [0, 0])], 50, tolerance)
        assert run["status"] == status and run["verdict"] == "maximum"
        assert run["final"]["hessian_eigenvalues"] == [-2, -2]


def test_converged_needs_no_negative_eigenvalue(client):
    (run,) = descend(client, "bowl", [gd(0.1, [3, 4])])
    assert run["status"] == run["verdict"] == "converged"
    assert run["final"]["hessian_eigenvalues"] == [2, 2]


def test_with_tolerance_zero_a_hiker_at_rest_at_a_minimum_converged(client):
    (run,) = descend(client, "bowl", [gd(0.1, [3, 4])], 300, tolerance=0)
    assert run["status"] == "max_steps" and run["verdict"] == "converged"
    # With a tolerance it has not reached, a hiker still creeping in is crawling.
    (creeping,) = descend(client, "himmelblau", [gd(0.0005, [1, 1])], 1000, 1e-9)
    assert creeping["status"] == "max_steps" and creeping["verdict"] == "crawling"


def test_oscillating_its_step_keeps_reversing(client):
    runs = descend(
        client,
        "bowl",
        [gd(1.0, [3, 4]), gd(1.0001, [3, 4]), gd(0.3, [1, 1], momentum=0.5)],
        max_steps=300,
        tolerance=0,
    )
    exact, growing, _ = runs
    # lr 1 on x² + y²: x → −x, a two-point bounce for ever.
    assert exact["path"]["x"][-3:] == [3, -3, 3]
    assert growing["status"] == "max_steps"  # lr just above 1: bounces grow, slowly
    for run in runs[:2]:
        assert run["verdict"] == "oscillating"
        steps = np.diff(np.array([run["path"]["x"], run["path"]["y"]]), axis=1)
        assert np.all(np.sum(steps[:, 1:] * steps[:, :-1], axis=0) < 0)
    # A sharp bottom: |x| + |y| has a slope of 1 right up to its minimum, so a hiker
    # bounces across it however close it gets.
    sharp = {"formula": "abs(x) + abs(y)", "x_range": [-2, 2], "y_range": [-2, 2]}
    (run,) = descend(client, sharp, [gd(0.3, [1.05, 0.95])], 200)
    assert run["verdict"] == "oscillating"


def test_a_hiker_shaken_by_noise_at_the_bottom_is_oscillating(client):
    """Not bouncing step after step, not steadily downhill: it goes back and forth."""
    (run,) = descend(client, "bowl", [gd(0.05, [0, 0])], 300, 0, gradient_noise=1.0, seed=3)
    assert run["status"] == "max_steps" and run["verdict"] == "oscillating"


def test_crawling_still_moving_steadily_downhill(client):
    runs = descend(client, "bowl", [gd(1e-4, [3, 4]), gd(0, [3, 4])], 300)
    for run in runs:
        assert run["status"] == "max_steps" and run["verdict"] == "crawling"
    z = np.array(runs[0]["path"]["z"])
    assert np.all(np.diff(z) < 0)


def test_diverged(client):
    (run,) = descend(client, "bowl", [gd(1.5, [3, 4])], 300)
    assert run["verdict"] == "diverged"
    assert run["final"]["hessian_eigenvalues"] is None and run["nearest_minimum"] is None


MIXED = {
    "surface": "himmelblau",
    "runs": [
        gd(0.0001, [-0.5, -0.5]),  # crawling
        gd(0.01, [-0.5, -0.5]),  # converged
        gd(0.027, [-0.5, -0.5]),  # oscillating
        gd(0.05, [-0.5, -0.5]),  # diverged
        gd(0.001, [-0.2708445907, -0.9230385565]),  # at Himmelblau's maximum
        {"optimizer": "adam", "lr": 0.05, "start": [1, 1]},
    ],
    "tolerance": 1e-6,
}


@pytest.mark.parametrize("max_steps", [20, 1000])
def test_the_stream_ends_with_the_batchs_verdicts(client, max_steps):
    """20 steps straddle the stream's first chunk (16 steps): the verdict's last points
    come from two chunks."""
    body = {**MIXED, "max_steps": max_steps}
    batch = strict_json(client.post("/api/descent", json=body).text)["runs"]
    with client.stream("POST", "/api/descent/stream", json=body) as response:
        messages = [strict_json(line) for line in response.iter_lines() if line]
    ends = {m["run"]: m for m in messages if m["type"] == "end"}
    for index, run in enumerate(batch):
        end = ends[index]
        for key in ("status", "verdict", "steps", "final", "nearest_minimum"):
            assert end[key] == run[key], key
    if max_steps == 1000:
        verdicts_seen = [run["verdict"] for run in batch]
        assert verdicts_seen[:5] == ["crawling", "converged", "oscillating", "diverged", "maximum"]


def _descent(surface: Surface, max_steps: int, tolerance: float) -> Descent:
    runs = [(spec["optimizer"], optim.resolve("sgd", {"lr": spec["lr"]})) for spec in MIXED["runs"]]
    runs[-1] = ("adam", optim.resolve("adam", {"lr": 0.05}))
    starts = np.array([spec["start"] for spec in MIXED["runs"]])
    return Descent(surface, starts, runs, max_steps, tolerance)


@settings(max_examples=25, deadline=None)
@given(
    first=st.integers(1, 40),
    chunk=st.integers(1, 100),
    max_steps=st.integers(1, 400),
    tolerance=st.sampled_from([0.0, 1e-6, 1e-2]),
)
def test_chunking_never_changes_a_verdict(first, chunk, max_steps, tolerance):
    surface = from_catalogue("himmelblau")

    def judged(**chunking):
        descent = _descent(surface, max_steps, tolerance)
        for _ in descent.chunks(chunk_seconds=1e9, **chunking):
            pass
        return descent

    whole = judged(first_chunk_steps=10_000, max_chunk_steps=10_000)
    cut = judged(first_chunk_steps=first, max_chunk_steps=chunk)
    assert whole.verdict.tolist() == cut.verdict.tolist()
    assert None not in whole.verdict.tolist()
    np.testing.assert_array_equal(whole.hessian_eigenvalues, cut.hessian_eigenvalues)
    assert whole.nearest == cut.nearest


def _finite_difference_hessian(formula, x, y, h=1e-5):
    def gradient(px, py):
        _, gx, gy = formula.value_and_gradient(np.array([px]), np.array([py]))
        return np.array([gx[0], gy[0]])

    columns = [(gradient(x + h, y) - gradient(x - h, y)) / (2 * h)]
    columns.append((gradient(x, y + h) - gradient(x, y - h)) / (2 * h))
    hessian = np.stack(columns, axis=1)
    return np.linalg.eigvalsh((hessian + hessian.T) / 2)


@pytest.mark.parametrize(
    ("surface", "start"),
    [
        ("himmelblau", [1, 1]),
        ("rosenbrock", [0.5, 0.2]),
        ("six_hump_camel", [-1.5, -1]),
        ({"formula": "sin(x)*cos(2*y) + x**2/10", "x_range": [-3, 3], "y_range": [-3, 3]}, [1, 1]),
    ],
)
def test_hessian_eigenvalues_agree_with_finite_differences_of_the_gradient(client, surface, start):
    (run,) = descend(client, surface, [gd(1e-4, start)], max_steps=50)
    final = run["final"]
    if isinstance(surface, str):
        formula = from_catalogue(surface).formula
    else:
        formula = compile_formula(surface["formula"])
    expected = _finite_difference_hessian(formula, final["x"], final["y"])
    assert final["hessian_eigenvalues"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_nearest_minimum_is_polished_when_the_list_lacks_it():
    """Rastrigin with only its five central minima listed: a hiker settling in the dip
    at (2, 2) is told that dip, not the listed (0.995, 0)."""
    entry = CATALOGUE["rastrigin"]
    full = from_catalogue("rastrigin")
    short = Surface(full.formula, full.x_range, full.y_range, entry.minima[:5])
    descent = Descent(
        short, np.array([[2.34, 1.77]]), ("sgd", optim.resolve("sgd", {"lr": 0.002})), 1000, 1e-6
    )
    collect(descent)
    assert descent.verdict[0] == "converged"
    nearest = descent.nearest[0]
    assert (nearest["x"], nearest["y"]) == pytest.approx((1.98991, 1.98991), abs=1e-4)
    assert nearest["global"] is False and nearest["distance"] < 1e-6
    assert nearest["z"] == pytest.approx(2 * 3.979831, abs=1e-5)


def test_rastrigin_lists_the_dip_a_hiker_reaches(client):
    (run,) = descend(client, "rastrigin", [gd(0.002, [2.34, 1.77])])
    nearest = run["nearest_minimum"]
    assert (nearest["x"], nearest["y"]) == pytest.approx((1.98991, 1.98991), abs=1e-4)
    assert any(m.x == nearest["x"] and m.y == nearest["y"] for m in CATALOGUE["rastrigin"].minima)


def test_nearest_minimum_for_a_custom_formula(client):
    """x² + y² on [1, 3]²: no minimum inside the domain is listed, but the hiker walks
    out of it to the bottom at (0, 0), the lowest point known: global."""
    surface = {"formula": "x^2 + y^2", "x_range": [1, 3], "y_range": [1, 3]}
    (run,) = descend(client, surface, [gd(0.1, [2, 2])])
    assert run["verdict"] == "converged"
    nearest = run["nearest_minimum"]
    assert nearest["global"] is True and (nearest["x"], nearest["y"]) == pytest.approx(
        (0, 0), abs=1e-6
    )
    # A formula with a local minimum next to the global one: each named right.
    valleys = {"formula": "(x^2 - 1)^2 + 0.3*x + y^2", "x_range": [-2, 2], "y_range": [-2, 2]}
    right, left = descend(client, valleys, [gd(0.05, [1.8, 1.5]), gd(0.05, [-1.8, 1.5])])
    assert right["nearest_minimum"]["global"] is False
    assert left["nearest_minimum"]["global"] is True


def test_a_flat_plain_has_no_minimum_to_name(client):
    """Far out on Easom's plain f is 0 to the last digit: the hiker never moves and the
    minimum it is told of is the nearest real one, not the plain under its feet."""
    (run,) = descend(client, "easom", [gd(1, [-30, 40])], 100, 0)
    nearest = run["nearest_minimum"]
    assert nearest["distance"] > 1 and nearest["z"] < -1e-6


def test_every_verdict_is_one_of_the_six():
    assert set(verdicts.VERDICTS) == {
        "converged", "saddle", "maximum", "crawling", "oscillating", "diverged",
    }  # fmt: skip
